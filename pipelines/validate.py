"""Checking one upload: read → header → normalise (SQL) → pandera model → cross-sheet rules.

`prepare` (everything up to `staged`) then `finish` (the checks against stored rows).
Everything happens in temp tables of the given connection; nothing is written to the
database's own tables here. On success the temp view `staged` (of table `norm`) holds the rows
exactly as they will be stored: ID numbers already replaced by their keyed hash and masked form.
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa_arrow

from funds import db
from funds.checksums import file_sha256
from pipelines import header as hdr
from pipelines import normalise
from pipelines.normalise import BODY
from pipelines.read import ReadProblem, drop_raw, open_source
from pipelines.report import Issue, Report, safe_value
from schemas.columns import DATE, DECIMAL, ID, INT, KINDS, MONEY, YEAR, Kind

if TYPE_CHECKING:
    from pipelines.model_check import ModelCheck

sha256_of = file_sha256  # the upload's identity (batches.sha256)
MODEL_MODULE = "pipelines.model_check"  # pandas + pandera: imported when first needed


def preload() -> threading.Thread | None:
    """Start importing the pandera side on a thread, unless it is imported (or being imported) already.

    The import takes ~0.8 s of Python, the reading and normalising before the model runs are
    DuckDB work that releases the GIL: in a one-shot process the two overlap. The import
    that needs the module (`_check_rows`) waits for this one, or raises what it raised.
    """
    if MODEL_MODULE in sys.modules:
        return None

    def work() -> None:
        try:
            importlib.import_module(MODEL_MODULE)
        except BaseException:  # noqa: BLE001 - the import in _check_rows raises it again, on the caller's thread
            pass

    thread = threading.Thread(target=work, name="funds-import", daemon=True)
    thread.start()
    return thread


@dataclass(frozen=True)
class Target:
    """What a check needs of the database before it sees stored rows: the columns of the table
    the rows go to, and (for sheets that may name a fund without its code) the names that are
    unique in their year's catalogue, with their code."""

    columns: tuple[str, ...]
    fund_names: pa_arrow.Table | None


def target(con: duckdb.DuckDBPyConnection, kind_name: str) -> Target:
    """Read a `Target` from the database (`con` with the database as its default)."""
    kind = KINDS[kind_name]
    names = con.sql("""
        select year, fund_name, min(fund_code) as code
        from (select distinct year, fund_code, fund_name from funds)
        group by year, fund_name having count(distinct fund_code) = 1""").to_arrow_table() if kind.either else None
    return Target(tuple(db.stored_columns(con, kind.table)), names)


@dataclass
class Staged:
    """View `staged` is ready (the rows as stored); the pandera model may still be checking them on a
    worker thread: `finish` waits for it, after the checks it runs in DuckDB meanwhile."""

    model: ModelCheck
    after: list[Issue] = field(default_factory=list)  # issues that follow the model's in the report

    def wait(self, report: Report) -> None:
        """Wait for the model; its issues, then `after`, go to the report."""
        self.model.join()
        for issue in [*self.model.issues, *self.after]:
            report.add(issue)


def prepare(con: duckdb.DuckDBPyConnection, kind_name: str, path: Path, key: bytes, into: Target,
            original_name: str | None = None, sha256: str | None = None) -> tuple[Report, Staged | None]:
    """The first part of a check, needing nothing stored but `into`: read, header, normalise, the
    values that cannot be read, the pandera model (started), and view `staged` (the rows as stored).

    Returns the report and, when `staged` was made, a `Staged`; `finish` then checks `staged`
    against the rows already stored, and completes the report. It neither reads nor writes the
    database's tables (temp tables only), so files can be prepared on cursors of their own while
    the file before them loads (`ingest.ingest_files`, which reads `into` once: a load of one
    kind changes neither).
    """
    started = time.perf_counter()
    importing = preload()
    kind = KINDS[kind_name]
    report = Report(kind=kind_name, path=original_name or path.name)
    staged = None
    try:
        report.sha256 = sha256 or sha256_of(path)
        staged = _check(con, kind, path, key, original_name, report, into)
    except ReadProblem as exc:
        report.add(Issue(exc.code, value=report.path if exc.code == "unreadable-file" else exc.detail or None,
                         params=(("detail", exc.detail),)))
    finally:
        if importing is not None:
            importing.join()  # a file refused early leaves no import running behind it
    report.seconds = time.perf_counter() - started
    return report, staged


def finish(con: duckdb.DuckDBPyConnection, report: Report, replacing: int | None, staged: Staged) -> None:
    """The rest of a check: `staged` against the database (funds in the catalogue, rows or keys
    already stored) and within itself (duplicate rows, amount = quantity x rate), while the model
    ends; after it, a valid report means `staged` may be loaded."""
    started = time.perf_counter()
    kind = KINDS[report.kind]
    checks = Report(kind=report.kind, path=report.path)  # listed after the model's issues, as always
    _check_funds(con, kind, checks)
    _check_duplicates(con, kind, checks, replacing)
    _check_amounts(con, kind, checks)
    staged.wait(report)
    report.extend(checks)
    report.seconds += time.perf_counter() - started


def _check(con: duckdb.DuckDBPyConnection, kind: Kind, path: Path, key: bytes, original_name: str | None,
           report: Report, into: Target) -> Staged | None:
    source = open_source(path, original_name, kind=kind.name)  # a workbook's sheet with this kind's header
    report.encoding = source.encoding
    head = source.head()
    header = hdr.locate(kind, head)
    report.header_row = header.row
    if not _header_ok(kind, header, head, report):
        return None
    id_columns = {c.name for c in kind.columns if c.type == ID}
    normalise.install_macros(con)
    present = set(header.columns.values())
    try:
        source.load(con, header.index, header.columns, id_columns)
        if source.filled:  # a workbook's cells merged down over rows
            count, row, column = source.filled
            report.add(Issue("merged-cells-filled", row=row, column=column, value=str(count)))
        if kind.either:
            con.register("fund_names", into.fund_names)  # named by the staging columns of `norm`
        try:
            normalise.run(con, kind, present, normalise.params(kind, present, header.units, key),
                          extend=_staging(kind, into))
        finally:
            if kind.either:
                con.unregister("fund_names")
        return _check_rows(con, kind, header, present, report, into)
    finally:
        drop_raw(con)
        source.close()  # a transcoded copy of the upload is deleted at once


def _check_rows(con: duckdb.DuckDBPyConnection, kind: Kind, header: hdr.Header, present: set[str],
                report: Report, into: Target) -> Staged | None:
    """Everything after normalisation: row-level problems, the model (started); makes `staged`, unless
    there is no row to stage."""
    for name, unit in header.units.items():
        if unit != 1:
            report.add(Issue("unit-converted", column=name))
    for text in header.unknown:
        report.add(Issue("unknown-column", value=text))
    _check_totals(con, kind, present, report)
    report.rows = con.execute(f"select count(*) from norm where {BODY}").fetchall()[0][0]
    if report.rows == 0:
        report.add(Issue("no-data-rows", row=header.row))
        return None
    parse_problems = _parse_problems(con, kind, present, report)
    drop_raw(con)  # the raw cells were needed only to show problem values
    legacy = con.execute(
        f'select count(*) from norm where {BODY} and "id_number__legacy"'
    ).fetchall()[0][0] if "id_number" in present else 0
    from pipelines.model_check import ModelCheck  # see preload()

    model = ModelCheck(kind, parse_problems)
    if report.rows <= OVERLAP_ROWS:
        # pandera (Python, holding the GIL) runs on a worker thread while DuckDB (which releases
        # it) runs `finish`'s checks on both cores; the frames are taken from `norm` first
        model.start(list(_batches(con, kind)))
    else:  # a long upload: chunk by chunk, so memory stays flat
        model.run(_batches(con, kind))
    _stage(con, kind, into)
    staged = Staged(model)
    if kind.year_from and "year" not in present:
        staged.after.append(Issue("year-from-date"))
    if legacy:
        staged.after.append(Issue("legacy-id-converted", value=str(legacy)))
    return staged


def _header_ok(kind: Kind, header: hdr.Header, head: list[list[str]], report: Report) -> bool:
    found = "、".join(header.found) or "-"
    missing = hdr.missing(kind, header)
    if missing:
        guessed = hdr.guess_kind(head)
        if guessed and guessed != kind.name:
            g = KINDS[guessed]
            report.add(Issue("kind-guess", value=f"{g.label('zh')} / {g.name}",
                             params=(("expected", f"{kind.label('zh')} / {kind.name}"),)))
    for col in missing:
        accepted = " / ".join(dict.fromkeys((col.name, *col.headers)))
        report.add(Issue("missing-column", row=header.row, column=col.name,
                         params=(("expected", accepted), ("found", found))))
    for name, cols in header.duplicates.items():
        report.add(Issue("duplicate-column", row=header.row, column=name, value=", ".join(map(str, cols))))
    return not missing and not header.duplicates


def _parse_problems(con: duckdb.DuckDBPyConnection, kind: Kind, present: set[str], report: Report) -> set[tuple[int, str]]:
    """Values that could not be read as their type; returns the (row, column) pairs reported."""
    checked = [c for c in kind.columns if c.name in present]  # a text cell's one problem: an Excel error value
    parts = [
        f"select _row, '{c.name}' as col, \"{c.name}__problem\" as code, clean(r.\"{c.name}\") as val"
        + (f", id_expected(clean(r.\"{c.name}\")) as expected" if c.type == ID else ", null as expected")
        + f" from norm join raw r using (_row) where {BODY} and \"{c.name}__problem\" is not null"
        for c in checked
    ]  # the cell as the clerk typed it (cleaned) comes from the raw cells
    seen: set[tuple[int, str]] = set()
    any_problem = " or ".join(f'"{c.name}__problem" is not null' for c in checked)
    if not parts or not con.execute(f"select count(*) from norm where {BODY} and ({any_problem})").fetchall()[0][0]:
        return seen  # most uploads: one scan of `norm`, not a join with the raw cells per column (~30 ms a roster)
    rows = con.execute(" union all ".join(parts) + " order by 1, 2").fetchall()
    for row, col, code, val, expected in rows:
        seen.add((row, col))
        shown = safe_value(col, kind.name, val)
        if code == "bad-account":
            shown = "*" * max(len(val) - 4, 0) + val[-4:]
        report.add(Issue(code, row=row, column=col, value=shown,
                         params=(("expected", expected or ""),)))
    return seen


MODEL_CHUNK = 250_000  # rows per pandera call: memory stays flat however long the upload is


def _batches(con: duckdb.DuckDBPyConnection, kind: Kind) -> Iterator[pa_arrow.Table]:
    """The body as the pandera model sees it, in Arrow chunks of about MODEL_CHUNK rows: money in fen,
    decimals in 1/10000."""
    cols = []
    for c in kind.columns:
        q = f'"{c.name}"'
        if c.type == MONEY:
            cols.append(f"cast({q} * 100 as bigint) as {q}")
        elif c.type == DECIMAL:
            cols.append(f"cast({q} * 10000 as bigint) as {q}")
        elif c.type in (YEAR, INT):
            cols.append(f"cast({q} as bigint) as {q}")
        elif c.type == DATE:
            cols.append(f"cast({q} as timestamp) as {q}")
        else:
            cols.append(f"cast({q} as varchar) as {q}")
    if kind.year_from:  # a missing year is the approval year
        cols = [f'cast(coalesce("year", year("{kind.year_from}")) as bigint) as "year"' if x.startswith('cast("year"')
                else x for x in cols]
    reader = con.sql(f"select _row, {', '.join(cols)} from norm where {BODY}").to_arrow_reader(MODEL_CHUNK)
    # DuckDB hands out at most a row group (122,880 rows) per batch: each pandera call costs ~10 ms
    # besides its rows, so batches are put together up to MODEL_CHUNK (1M rows: 4 calls, not 9)
    group: list[pa_arrow.RecordBatch] = []
    rows = 0
    for batch in reader:
        group.append(batch)
        rows += batch.num_rows
        if rows >= MODEL_CHUNK:
            yield pa_arrow.Table.from_batches(group)
            group, rows = [], 0
    if group:
        yield pa_arrow.Table.from_batches(group)


OVERLAP_ROWS = 2_000_000  # up to here the model's frames (~150 MB a million rows) are held at once


def _check_totals(con: duckdb.DuckDBPyConnection, kind: Kind, present: set[str], report: Report) -> None:
    """Totals rows (合计/总计/小计) are checked against the rows above them, then dropped."""
    money = [c.name for c in kind.columns if c.type == MONEY and c.name in present]
    totals = con.execute("select _row, _total from norm where _total is not null order by _row").fetchall()
    previous = 0
    for row, word in totals:
        start = previous if word == "小计" else 0
        for col in money:
            got = con.execute(
                f'select n."{col}", n."{col}__problem", clean(r."{col}") from norm n join raw r using (_row) '
                f'where n._row = $r', {"r": row}
            ).fetchall()[0]
            if got[0] is None and got[1] is None:
                continue  # an empty cell
            if got[1] is not None:
                report.add(Issue(got[1], row=row, column=col, value=got[2]))
                continue
            expected = con.execute(
                f'select coalesce(sum("{col}"), 0) from norm '
                f"where _row > $a and _row < $b and _total is null and not _blank and not _note",
                {"a": start, "b": row},
            ).fetchall()[0][0]
            if expected != got[0]:
                report.add(Issue("totals-mismatch", row=row, column=col, value=f"{got[0]:.2f}",
                                 params=(("expected", f"{expected:.2f}"),)))
        report.add(Issue("totals-row-dropped", row=row))
        if word == "小计":
            previous = row


def _stored(kind: Kind, into: Target) -> dict[str, str]:
    """Each stored column (but batch_id, row_no, row_hash) and the column of `norm` holding its value."""
    out = {}
    for col in into.columns:
        if col in ("batch_id", "row_no", "row_hash"):
            continue
        if col == "account_masked":
            out[col] = "account_no"  # masked by normalisation
        elif col == "year" and kind.year_from:
            out[col] = "_stored_year"
        elif col == "fund_code" and kind.either:
            out[col] = "_stored_fund_code"
        else:
            out[col] = col
    return out


def _staging(kind: Kind, into: Target) -> normalise.Extend:
    """The columns `norm` carries besides the typed ones, so that `staged` is a view of it, not a
    second table written (~0.5 s a million rows): the values as stored where they differ, and
    `row_hash`, which fingerprints the stored values.

    A missing year is the approval year; a fund named without its code gets the code when the name
    is unique in that year's catalogue (table `fund_names`, registered by the caller). IDs arrive
    hashed and masked from normalisation (and ID-like numbers typed into free text masked).
    """
    stored = _stored(kind, into)
    # concat_ws builds the text in one pass (a chain of || makes a string per step: ~40% slower);
    # the row_hash of a row must never change (tests/test_staged_rows.py): re-uploads are found by it
    fingerprint = "concat_ws(chr(31), " + ", ".join(
        "coalesce(_id_hash_text, chr(0))" if col == "id_hash" else f'coalesce(cast("{name}" as varchar), chr(0))'
        for col, name in stored.items()) + ")"

    def extend(query: str) -> str:
        rows = f"({query}) n"
        if kind.year_from:  # out of range: null, and the model reports the year (bad-year)
            rows = (f'(select n.*, try_cast(coalesce(n."year", year(n."{kind.year_from}")) as smallint) '
                    f"as _stored_year from {rows}) n")
        if kind.either:
            year = "n._stored_year" if kind.year_from else 'n."year"'
            rows = (f"(select n.*, coalesce(n.fund_code, f.code) as _stored_fund_code from {rows} "
                    f"left join fund_names f on n.fund_code is null and f.year = {year} "
                    f"and f.fund_name = n.fund_name) n")
        return f"select *, md5_number({fingerprint}) as row_hash from {rows}"

    return extend


def _stage(con: duckdb.DuckDBPyConnection, kind: Kind, into: Target) -> None:
    """View `staged`: the body of `norm` as it will be stored, with `row_hash` (see `_staging`).

    Besides the stored columns: `fund_name` (for the report on unknown funds) and the fund code as
    given, for sheets that may name a fund by name alone. The rows are in no particular order:
    `pipelines/load.py` writes them sorted by id_hash (lookup order).
    """
    stored = _stored(kind, into)
    cols = []
    for col in into.columns:
        if col == "row_no":
            cols.append("_row as row_no")
        elif col in stored:
            cols.append(f'"{col}"' if stored[col] == col else f'"{stored[col]}" as "{col}"')
    if kind.either:
        if "fund_name" not in into.columns:
            cols.append('"fund_name"')
        cols.append('"fund_code" as _fund_code_given')
    cols.append("row_hash")
    con.execute(f"create or replace temp view staged as select {', '.join(cols)} from norm where {BODY}")


def _check_funds(con: duckdb.DuckDBPyConnection, kind: Kind, report: Report) -> None:
    """A fund named by a payment, transfer or project must be in that year's catalogue."""
    if not kind.either:
        return
    rows = con.execute(
        """
        with catalogue as (select distinct year, fund_code, fund_name from funds),
        codes as (select distinct year, fund_code from catalogue),
        names as (select year, fund_name, count(distinct fund_code) as n, min(fund_code) as code
                  from catalogue group by year, fund_name),
        source as (select row_no, year, _fund_code_given as fund_code, fund_name from staged where year is not null),
        final as (
            select s.row_no, s.year, s.fund_code, s.fund_name,
                case when s.fund_code is not null then c.fund_code when n.n = 1 then n.code end as resolved,
                case when s.fund_code is null and n.n > 1 then 'ambiguous-fund-name'
                     when s.fund_code is not null and c.fund_code is null then 'unknown-fund'
                     when s.fund_code is null and n.n is null then 'unknown-fund' end as problem
            from source s
            left join codes c on c.year = s.year and c.fund_code = s.fund_code
            left join names n on n.year = s.year and n.fund_name = s.fund_name
        )
        select row_no, year, coalesce(fund_code, fund_name), problem,
               case when fund_code is not null then 'fund_code' else 'fund_name' end
        from final where problem is not null order by row_no
        """
    ).fetchall()
    for row, year, named, problem, column in rows:
        report.add(Issue(problem, row=row, column=column, value=named, params=(("expected", str(year)),)))


def _check_duplicates(con: duckdb.DuckDBPyConnection, kind: Kind, report: Report, replacing: int | None) -> None:
    """Exact duplicates within the upload or of live rows; codes that must be unique per year."""
    for row, first in con.execute(
        """
        with source as (select row_no, row_hash, min(row_no) over (partition by row_hash) as first_row from staged)
        select row_no, first_row from source where row_no <> first_row order by row_no
        """
    ).fetchall():
        report.add(Issue("duplicate-row", row=row, value=str(first)))
    live = f"(select * from {kind.table} where batch_id in (select batch_id from live_batches) and batch_id <> $replacing)"
    for row, batch in con.execute(
        f"""
        select s.row_no, min(t.batch_id) from staged s
        join (select row_hash, batch_id from {live}) t using (row_hash)
        group by s.row_no order by s.row_no
        """,
        {"replacing": replacing or -1},
    ).fetchall():
        report.add(Issue("already-loaded", row=row, value=str(batch)))
    if not kind.natural_key:
        return
    keys_sql = ", ".join(f'"{k}"' for k in kind.natural_key)
    join_on = " and ".join(f't."{k}" = s."{k}"' for k in ("year", *kind.natural_key))
    col = kind.natural_key[-1]
    for row, value, where in con.execute(
        f"""
        with source as (
            select row_no, "{col}", row_hash,
                   first_value(row_no) over same_key as first_row,
                   first_value(row_hash) over same_key as first_hash
            from staged
            window same_key as (partition by year, {keys_sql} order by row_no)
        ),
        inside as (select row_no, "{col}" as val, 'row ' || first_row as other from source
                   where row_no <> first_row and row_hash <> first_hash),
        loaded as (select s.row_no, s."{col}" as val, 'batch ' || min(t.batch_id) as other
                   from staged s join {live} t on {join_on} and t.row_hash <> s.row_hash
                   group by s.row_no, s."{col}")
        select * from inside union all select * from loaded order by 1
        """,
        {"replacing": replacing or -1},
    ).fetchall():
        report.add(Issue("duplicate-key", row=row, column=col, value=value, params=(("expected", where),)))


def _check_amounts(con: duckdb.DuckDBPyConnection, kind: Kind, report: Report) -> None:
    """Warn where amount is not quantity x rate, to the fen."""
    if "rate" not in kind.names:
        return
    for row, amount, expected in con.execute(
        """
        select row_no, amount, round(quantity * rate, 2) from staged
        where quantity is not null and rate is not null and round(quantity * rate, 2) <> amount
        order by row_no
        """
    ).fetchall():
        report.add(Issue("amount-mismatch", row=row, column="amount", value=f"{amount:.2f}",
                         params=(("expected", f"{expected:.2f}"),)))
