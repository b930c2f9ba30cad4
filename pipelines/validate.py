"""Checking one upload: read → header → normalise (SQL) → pandera model → cross-sheet rules.

Everything happens in temp tables of the given connection; nothing is written to the
database's own tables here. On success the temp table `staged` holds the rows exactly as
they will be stored: ID numbers already replaced by their keyed hash and masked form.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pandas as pd
import pandera.pandas as pa

from funds import keys
from funds.checksums import file_sha256
from pipelines import header as hdr
from pipelines import normalise
from pipelines.read import ReadProblem, open_source
from pipelines.report import Issue, Report, safe_value
from schemas.columns import DATE, DECIMAL, ID, INT, KINDS, MONEY, YEAR, Kind
from schemas.models import CHECK_COLUMN, MODELS

sha256_of = file_sha256  # the upload's identity (batches.sha256)


def check(con: duckdb.DuckDBPyConnection, kind_name: str, path: Path, key: bytes,
          original_name: str | None = None, replacing: int | None = None, sha256: str | None = None) -> Report:
    """Check an upload; on a valid report, temp table `staged` holds the rows to store.

    `sha256` is the file's checksum when the caller already has it (the file is not read twice for it).
    """
    started = time.perf_counter()
    kind = KINDS[kind_name]
    report = Report(kind=kind_name, path=original_name or path.name)
    try:
        report.sha256 = sha256 or sha256_of(path)
        _check(con, kind, path, key, original_name, replacing, report)
    except ReadProblem as exc:
        report.add(Issue(exc.code, value=report.path if exc.code == "unreadable-file" else exc.detail or None,
                         params=(("detail", exc.detail),)))
    report.seconds = time.perf_counter() - started
    return report


def _check(con: duckdb.DuckDBPyConnection, kind: Kind, path: Path, key: bytes, original_name: str | None,
           replacing: int | None, report: Report) -> None:
    source = open_source(path, original_name)
    report.encoding = source.encoding
    head = source.head()
    header = hdr.locate(kind, head)
    report.header_row = header.row
    if not _header_ok(kind, header, head, report):
        return
    id_columns = {c.name for c in kind.columns if c.type == ID}
    raw = source.table(header.index, header.columns, id_columns)
    con.register("raw_upload", raw)
    try:
        con.execute("create or replace temp table raw as select * from raw_upload")
    finally:
        con.unregister("raw_upload")
    del raw
    normalise.install_macros(con)
    present = set(header.columns.values())
    con.execute(normalise.build_sql(kind, present), normalise.params(kind, present, header.units))
    con.execute("drop table raw")
    for name, unit in header.units.items():
        if unit != 1:
            report.add(Issue("unit-converted", column=name))
    for text in header.unknown:
        report.add(Issue("unknown-column", value=text))
    _check_totals(con, kind, report)
    con.execute("create or replace temp table body as select * from norm where not _blank and not _note and _total is null")
    report.rows = con.execute("select count(*) from body").fetchall()[0][0]
    if report.rows == 0:
        report.add(Issue("no-data-rows", row=header.row))
        return
    parse_problems = _parse_problems(con, kind, report)
    _check_model(con, kind, report, parse_problems)
    if kind.year_from and "year" not in present:
        report.add(Issue("year-from-date"))
    legacy = con.execute(
        "select count(*) from body where \"id_number__problem\" is null and length(id_text(\"id_number__text\")) = 15"
    ).fetchall()[0][0] if "id_number" in present else 0
    if legacy:
        report.add(Issue("legacy-id-converted", value=str(legacy)))
    _stage(con, kind, key)
    _check_funds(con, kind, report)
    _fingerprint(con, kind)
    _check_duplicates(con, kind, report, replacing)
    _check_amounts(con, kind, report)


def _header_ok(kind: Kind, header: hdr.Header, head: list[list[str]], report: Report) -> bool:
    found = "、".join(header.found) or "-"
    present = set(header.columns.values())
    missing = [c for c in kind.columns if c.required and c.name not in present]
    if kind.either and not present.intersection(kind.either):
        missing.insert(0, kind.column(kind.either[0]))
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


def _parse_problems(con: duckdb.DuckDBPyConnection, kind: Kind, report: Report) -> set[tuple[int, str]]:
    """Values that could not be read as their type; returns the (row, column) pairs reported."""
    parts = [
        f"select _row, '{c.name}' as col, \"{c.name}__problem\" as code, \"{c.name}__text\" as val"
        + (f", id_expected(\"{c.name}__text\") as expected" if c.type == ID else ", null as expected")
        + f" from body where \"{c.name}__problem\" is not null"
        for c in kind.columns
        if c.type not in ("text",)
    ]
    seen: set[tuple[int, str]] = set()
    if not parts:
        return seen
    rows = con.execute(" union all ".join(parts) + " order by 1, 2").fetchall()
    for row, col, code, val, expected in rows:
        seen.add((row, col))
        shown = safe_value(col, kind.name, val)
        if code == "bad-account":
            shown = "*" * max(len(val) - 4, 0) + val[-4:]
        report.add(Issue(code, row=row, column=col, value=shown,
                         params=(("expected", expected or ""),)))
    return seen


def _frame(con: duckdb.DuckDBPyConnection, kind: Kind) -> pd.DataFrame:
    """The body as the pandera model sees it: money in fen, decimals in 1/10000, index = spreadsheet row."""
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
            cols.append(q)
    if kind.year_from:  # a missing year is the approval year
        cols = [f'cast(coalesce("year", year("{kind.year_from}")) as bigint) as "year"' if x.startswith('cast("year"')
                else x for x in cols]
    df = con.execute(f"select _row, {', '.join(cols)} from body").df()
    df = df.set_index("_row")  # the one place a frame index becomes a spreadsheet row number
    for c in kind.columns:
        if c.type in (MONEY, DECIMAL, YEAR, INT):
            df[c.name] = df[c.name].astype("Int64")
        elif c.type != DATE:
            df[c.name] = df[c.name].astype("string")
    return df


def _check_model(con: duckdb.DuckDBPyConnection, kind: Kind, report: Report, already: set[tuple[int, str]]) -> None:
    model = MODELS[kind.name]
    df = _frame(con, kind)
    try:
        model.validate(df, lazy=True)
        return
    except pa.errors.SchemaErrors as exc:
        failures = exc.failure_cases
    reported: set[tuple[int, str, str]] = set()
    for rec in failures.itertuples(index=False):
        check_name = str(rec.check)
        code = "missing-value" if check_name == "not_nullable" else check_name.split(":")[0]
        column = CHECK_COLUMN.get(code, rec.column) if rec.schema_context == "DataFrameSchema" else rec.column
        if code not in ("missing-value",) and ":" not in check_name:
            continue  # dtype and other structural failures are folded into the parse problems
        row = int(rec.index) if pd.notna(rec.index) else None
        if row is None or (row, column) in already or (row, column, code) in reported:
            continue  # a value that failed to parse also fails the model: report it once
        reported.add((row, column, code))
        report.add(_model_issue(df, kind, code, row, column))


def _model_issue(df: pd.DataFrame, kind: Kind, code: str, row: int, column: str) -> Issue:
    rec = df.loc[row]
    value: object = rec[column] if column in df.columns else None
    expected = ""
    if code == "paid-before-approved":
        value, expected = _day(rec["paid_date"]), _day(rec["approved_date"])
    elif code == "paid-exceeds-amount":
        value, expected = _yuan(rec["paid_amount"]), _yuan(rec["amount"])
    elif code == "text-too-long":
        value, expected = len(str(value)), 40
    elif column in kind.names and kind.column(column).type == MONEY and pd.notna(value):
        value = _yuan(value)
    elif column in kind.names and kind.column(column).type == DECIMAL and pd.notna(value):
        value = f"{int(value) / 10000:g}"
    shown = None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    return Issue(code, row=row, column=column, value=safe_value(column, kind.name, shown),
                 params=(("expected", str(expected)),))


def _day(v: object) -> str:
    return pd.Timestamp(v).date().isoformat() if pd.notna(v) else ""


def _yuan(fen: object) -> str:
    f = int(fen)  # type: ignore[call-overload]
    sign = "-" if f < 0 else ""
    return f"{sign}{abs(f) // 100}.{abs(f) % 100:02d}"


def _check_totals(con: duckdb.DuckDBPyConnection, kind: Kind, report: Report) -> None:
    """Totals rows (合计/总计/小计) are checked against the rows above them, then dropped."""
    money = [c.name for c in kind.columns if c.type == MONEY]
    totals = con.execute("select _row, _total from norm where _total is not null order by _row").fetchall()
    previous = 0
    for row, word in totals:
        start = previous if word == "小计" else 0
        for col in money:
            got = con.execute(
                f'select "{col}", "{col}__problem", "{col}__text" from norm where _row = $r', {"r": row}
            ).fetchall()[0]
            if got[2] is None:
                continue
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


def _stage(con: duckdb.DuckDBPyConnection, kind: Kind, key: bytes) -> None:
    """Build temp table `staged`: the rows as stored, IDs hashed (HMAC in SQL over distinct IDs)."""
    ipad, opad = keys.hmac_pads(key)
    has_id = any(c.type == ID for c in kind.columns)
    if has_id:
        con.execute(
            """
            create or replace temp table id_hashes as
            with source as (select distinct "id_number" as id18 from body),
            final as (
                select id18,
                    unhex(sha256($opad || unhex(sha256($ipad || cast(id18 as blob))))) as digest
                from source
            )
            select id18,
                (cast(('0x' || substr(hex(digest), 1, 16)) as ubigint)::uhugeint << 64)
                | cast(('0x' || substr(hex(digest), 17, 16)) as ubigint)::uhugeint as id_hash,
                id_masked(id18) as id_masked
            from final
            """,
            {"ipad": ipad, "opad": opad},
        )
        # id_hash as text once per distinct ID (not per row), for _fingerprint
        con.execute("alter table id_hashes add column id_hash_text varchar")
        con.execute("update id_hashes set id_hash_text = uhuge_text(id_hash)")
    target = [r[0] for r in con.execute(f"describe {kind.table}").fetchall()]
    exprs = []
    for col in target:
        if col in ("batch_id", "row_hash"):
            continue
        if col == "row_no":
            exprs.append("b._row as row_no")
        elif col in ("id_hash", "id_masked"):
            exprs.append(f"h.{col}")
        elif col == "account_masked":
            exprs.append('b."account_no" as account_masked')
        elif col == "year" and kind.year_from:
            exprs.append(f'cast(coalesce(b."year", year(b."{kind.year_from}")) as smallint) as "year"')
        else:
            exprs.append(f'b."{col}"')
    if kind.either:
        exprs.append('b."fund_name"')  # kept until the fund is resolved, not stored
    if has_id:
        exprs.append("h.id_hash_text as _id_hash_text")  # for _fingerprint, not stored
    join = 'left join id_hashes h on h.id18 = b."id_number"' if has_id else ""
    con.execute(f"create or replace temp table staged as select {', '.join(exprs)} from body b {join}")
    if has_id:
        con.execute("drop table id_hashes")


def _fingerprint(con: duckdb.DuckDBPyConnection, kind: Kind) -> None:
    """Add row_hash: an MD5 of every stored value but the row number, for exact-duplicate checks."""
    stored = [r[0] for r in con.execute(f"describe {kind.table}").fetchall()]
    hashed = [c for c in stored if c not in ("batch_id", "row_no", "row_hash")]
    # id_hash's text comes precomputed (same text as cast(id_hash as varchar), far cheaper)
    fingerprint = " || chr(31) || ".join(
        "coalesce(_id_hash_text, chr(0))" if c == "id_hash" else f'coalesce(cast("{c}" as varchar), chr(0))'
        for c in hashed)
    con.execute(f"create or replace temp table staged_hashed as select *, md5_number({fingerprint}) as row_hash from staged")
    con.execute("drop table staged")
    con.execute("alter table staged_hashed rename to staged")


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
        source as (select row_no, year, fund_code, fund_name from staged where year is not null),
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
    con.execute(
        """
        update staged set fund_code = r.code
        from (select year, fund_name, min(fund_code) as code from (select distinct year, fund_code, fund_name from funds)
              group by year, fund_name having count(distinct fund_code) = 1) r
        where staged.fund_code is null and staged.year = r.year and staged.fund_name = r.fund_name
        """
    )


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
