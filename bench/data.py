"""Bench data: demo-county files (CSV, xlsx) and large payment tables built directly in DuckDB."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.csv as pacsv

from funds import db, snapshots
from pipelines import demo

ROWS_PER_HOUSEHOLD = 3.8  # what pipelines/demo.py produces on average


def county(folder: Path, rows: int, year: int = 2007, seed: int = 7) -> demo.DemoFiles:
    """A demo county of about `rows` payment rows in ONE payments CSV (cached by folder name)."""
    households = max(100, int(rows / ROWS_PER_HOUSEHOLD))
    done = folder / "done"
    if done.exists():
        return demo.DemoFiles(folder / "funds.csv", [folder / "payments_1.csv"], folder / "allocations.csv",
                              folder / "projects.xlsx", folder / "budgets_gbk.csv")
    shutil.rmtree(folder, ignore_errors=True)
    files = demo.write_files(folder, households, year, seed, rows_per_file=10**9)
    done.write_text("ok")
    return files


def csv_rows(path: Path) -> int:
    """Data rows of a one-header CSV."""
    with path.open("rb") as f:
        return sum(1 for _ in f) - 1


def head_csv(src: Path, dst: Path, rows: int) -> Path:
    """The header and first `rows` data rows of a CSV."""
    if not dst.exists():
        with src.open("rb") as f, dst.open("wb") as out:
            for i, line in enumerate(f):
                if i > rows:
                    break
                out.write(line)
    return dst


def xlsx_from_csv(src: Path, dst: Path, rows: int) -> Path:
    """An xlsx of the first `rows` payments, as Excel holds them: ID as text, dates as date cells, numbers as numbers."""
    if dst.exists():
        return dst
    import xlsxwriter

    table = pacsv.read_csv(src, convert_options=pacsv.ConvertOptions(
        column_types={n: "string" for n in ["资金编码", "年度", "乡镇", "村", "户编号", "姓名", "身份证号", "数量",
                                            "补贴标准", "金额", "审批日期", "发放日期"]})).slice(0, rows)
    cols = table.column_names
    data = [table.column(c).to_pylist() for c in cols]
    tmp = dst.with_suffix(".tmp.xlsx")
    wb = xlsxwriter.Workbook(str(tmp))  # shared strings, as Excel and WPS save a sheet
    ws = wb.add_worksheet("发放明细")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, cols)
    numeric = {"年度", "数量", "补贴标准", "金额"}
    dates = {"审批日期", "发放日期"}
    for r in range(table.num_rows):
        for c, name in enumerate(cols):
            v = data[c][r]
            if v in (None, ""):
                continue
            if name in dates:
                ws.write_datetime(r + 1, c, dt.datetime.strptime(v, "%Y-%m-%d"), date_fmt)
            elif name in numeric:
                ws.write_number(r + 1, c, float(v))
            else:
                ws.write_string(r + 1, c, v)
    wb.close()
    tmp.rename(dst)
    return dst


def synthetic_payments(path: Path, rows: int, batch_rows: int = 1_000_000, sorted_by: str = "batch") -> Path:
    """A database of `rows` synthetic payment rows built in SQL (no ingest): the shape of payment_rows.

    sorted_by: "batch" (each batch of `batch_rows` sorted by id_hash, as ingest leaves it) or
    "none" (random order); `optimized` makes the third layout with the real command.
    People: rows / 3.8 of them; id_hash is a 128-bit hash of the person number.
    A table built under an older schema (migrations change how rows are stored) is built again.
    """
    if path.exists() and _schema_version(path) == db.migrations()[-1][0]:
        return path
    path.unlink(missing_ok=True)
    shutil.rmtree(snapshots.folder(path), ignore_errors=True)
    tmp = path.with_suffix(".tmp.duckdb")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    db.migrate(con)
    people = max(1, int(rows / ROWS_PER_HOUSEHOLD))
    batches = max(1, -(-rows // batch_rows))
    con.execute("""
        insert into fund_rows select 1, i, y, 'H' || lpad(i::varchar, 2, '0'), '资金' || i, 'household', '财政局', null, 15, i
        from range(1, 17) t(i), range(2007, 2017) s(y)""")
    con.execute("""insert into batches select b, 'payments', 'p' || b || '.csv', md5(b::varchar), 'bench',
                   now()::timestamp, 0, 0, 'loaded', null, null from range(1, $n + 2) t(b)""", {"n": batches})
    order = {"batch": "batch_id, id_hash", "none": "hash(row_no, batch_id)"}[sorted_by]
    for b in range(batches):
        lo, hi = b * batch_rows, min(rows, (b + 1) * batch_rows)
        con.execute(f"""
            insert into payment_rows by name
            with src as (select range as r, hash(range * 2654435761 + 11) % $people as p from range($lo, $hi)),
            final as (
                select $b + 2 as batch_id, (r - $lo + 2)::integer as row_no, (2007 + r % 10)::smallint as year,
                    'H' || lpad((1 + p % 16)::varchar, 2, '0') as fund_code,
                    '乡镇' || (p % 12) as township, '村' || (p % 120) as village,
                    '姓' || (p % 9973) as name,
                    (hash(p)::uhugeint << 64) | hash(p + 1000000007)::uhugeint as id_hash,
                    '420101********' || lpad((p % 10000)::varchar, 4, '0') as id_masked,
                    'H' || p as household_no, null::decimal(18,4) as quantity, null::decimal(18,4) as rate,
                    (50 + hash(r) % 3000)::decimal(18,2) as amount,
                    date '2007-01-01' + (r % 10 * 365 + hash(r + 1) % 330)::integer as approved_date,
                    case when hash(r + 2) % 50 = 0 then null
                         else date '2007-01-01' + (r % 10 * 365 + hash(r + 1) % 330 + hash(r + 3) % 40)::integer end as paid_date,
                    null as account_masked, null as remarks, hash(r, 9)::uhugeint as row_hash
                from src
            )
            select * from final {"order by " + order if sorted_by == "batch" else ""}
            """, {"people": people, "lo": lo, "hi": hi, "b": b})
    if sorted_by != "batch":
        con.execute(f"create table sorted_rows as select * from payment_rows order by {order}")
        con.execute("drop table payment_rows")
        con.execute("alter table sorted_rows rename to payment_rows")  # the migrations' views bind it by name
    con.execute("checkpoint")
    con.close()
    tmp.rename(path)
    return path


def _schema_version(path: Path) -> int | None:
    """The last migration a bench database has had (None: unreadable)."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        return con.execute("select max(version) from schema_version").fetchall()[0][0]
    except duckdb.Error:
        return None
    finally:
        con.close()


def published(path: Path) -> Path:
    """Give a bench table a published snapshot, so lookups read it through `db.reading` as the kiosk does.

    The tables are built once and never written again, so the snapshot is a hard link to the
    file (no copy: at 100M rows a copy would cost gigabytes), published the way
    funds/snapshots.py does it: the file, its `.readers` lock file, then CURRENT.
    """
    if snapshots.current(path) is not None:
        return path
    where = snapshots.folder(path)
    where.mkdir(exist_ok=True)
    snap = where / "snap-000001.duckdb"
    snap.unlink(missing_ok=True)
    snap.with_name(snap.name + ".readers").touch()
    snap.hardlink_to(path)
    (where / snapshots.POINTER).write_text(snap.name + "\n", "utf-8")
    return path


def optimized(src: Path, dst: Path) -> tuple[Path, dict[str, Any]]:
    """A copy of the as-loaded table compacted by `funds optimize` (funds/compaction.py); (path, its figures).

    The figures of the first run are kept beside the copy, since later runs reuse it; a copy made
    under an older schema (what optimize writes changed with it) is made again.
    """
    from funds import compaction, db

    figures = dst.with_name(dst.name + ".optimize.json")
    version = db.migrations()[-1][0]
    if dst.exists() and figures.exists():
        kept = json.loads(figures.read_text("utf-8"))
        if kept.get("schema_version") == version:
            return dst, kept
    shutil.rmtree(snapshots.folder(dst), ignore_errors=True)
    shutil.copyfile(src, dst)
    result = {**compaction.optimize(dst), "schema_version": version}
    figures.write_text(json.dumps(result), "utf-8")
    return dst, result
