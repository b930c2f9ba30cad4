"""Normalising raw text cells into typed columns, in DuckDB SQL over the whole upload at once.

The SQL text is generated from the column catalogue: identifiers come only from
schemas/columns.py (a fixed allow-list); values (units, word lists) are bound parameters.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from importlib import resources

import duckdb

from funds import keys, redaction
from schemas.columns import (
    ACCOUNT,
    CATEGORY,
    CATEGORY_WORDS,
    DATE,
    DECIMAL,
    FLAG,
    FLAG_WORDS,
    ID,
    INT,
    MONEY,
    TEXT,
    TOTAL_WORDS,
    YEAR,
    Column,
    Kind,
)

# text columns whose digits are data, not personal numbers; digit runs in other text are masked
DIGITS_ARE_DATA = {"fund_code", "project_code", "department_code", "household_no"}
NOTE_ROW = r"^(制表|填表|审核|复核|负责人|单位负责人|经办人|说明|注[:：]|备注[:：])"


@cache
def _macros_text() -> str:
    return resources.files("pipelines.sql").joinpath("macros.sql").read_text("utf-8")


@cache
def macros_sql() -> str:
    """The text of pipelines/sql/macros.sql, and a macro naming its version."""
    return _macros_text() + f"\ncreate or replace temp macro funds_macros() as '{macros_version()}';\n"


@cache
def macros_version() -> str:
    """A digest of macros.sql: a connection holding this version needs no reinstall."""
    return hashlib.sha256(_macros_text().encode("utf-8")).hexdigest()[:16]


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the normalisation macros on a connection (temp: they vanish with it), once per connection."""
    try:
        if con.execute("select funds_macros()").fetchall()[0][0] == macros_version():
            return  # a CLI run checks every file on one connection: ~40 statements saved per file
    except duckdb.Error:
        pass  # not installed yet
    con.execute(macros_sql())


def _q(name: str) -> str:
    # identifiers come from the column catalogue only; quoting keeps keywords (year, date) safe
    assert name.replace("_", "").isalnum(), name
    return f'"{name}"'


def _stages(col: Column, unit_param: str) -> list[tuple[str, str]]:
    """Intermediate values computed once per distinct cell, in order, before value and problem.

    A macro argument is repeated wherever the macro body uses it, so money_value(c) would
    parse c a dozen times, and the expanded expressions take the planner longer than the
    execution takes on a county's few hundred distinct dates and amounts.
    """
    c = _q(col.name)
    if col.type == MONEY:
        return [("x", f"scaled({c}, ${unit_param})")]
    if col.type == DATE:
        return [("dt", f"date_text({c})"), ("dp", "dmy_parts_t(dt)"), ("dr", "date_raw_t(dt, dp)")]
    return []


def _typed(col: Column, unit_param: str) -> tuple[str, str | None]:
    """(typed expression, problem expression) for one present column of cleaned text (after _stages)."""
    c = _q(col.name)
    if col.type == TEXT:
        text = f"person_name({c})" if col.name == "name" else c
        if col.name in DIGITS_ARE_DATA:
            return text, None
        return f"mask_numbers({text}, $id_pattern)", None  # an ID or card number typed into free text
    if col.type == YEAR:
        return f"int_value({c})", f"year_problem({c})"
    if col.type == INT:
        return f"int_value({c})", f"int_problem({c})"
    if col.type == MONEY:
        return "money_value_x(x)", f"money_problem_x({c}, x)"
    if col.type == DECIMAL:
        return f"decimal_value({c}, ${unit_param})", f"decimal_problem({c}, ${unit_param})"
    if col.type == DATE:
        return "date_value_r(dr)", f"date_problem_t({c}, dp, date_value_r(dr))"
    if col.type == ACCOUNT:
        return f"account_masked({c})", f"account_problem({c})"
    if col.type == CATEGORY:
        return (f"word_value({c}, $cat_a, 'household', $cat_b, 'project')",
                f"case when {c} is not null and word_value({c}, $cat_a, 'household', $cat_b, 'project') is null "
                "then 'bad-category' end")
    if col.type == FLAG:
        return (f"word_value({c}, $flag_a, 'deceased', $flag_b, 'official')",
                f"case when {c} is not null and word_value({c}, $flag_a, 'deceased', $flag_b, 'official') is null "
                "then 'bad-flag' end")
    raise ValueError(col.type)


_SQL_TYPES = {TEXT: "varchar", YEAR: "integer", INT: "integer", MONEY: "decimal(18,2)", DECIMAL: "decimal(18,4)",
              DATE: "date", ID: "varchar", ACCOUNT: "varchar", CATEGORY: "varchar", FLAG: "varchar"}


def _id_dict(c: str) -> str:
    """The dictionary of an ID column: id_text once per distinct cell, then problem, value and keyed hash.

    The hash (HMAC-SHA256 with the database key, first 128 bits) is computed here, once per
    distinct ID, so the rows never carry the raw number further than this statement.
    """
    cells = (f"select _k, {c}, id_text({c}) as t from (select _k, clean(_k) as {c} from "
             f"(select distinct {c} as _k from raw where {c} is not null))")
    # the 17 leading digits as one BIGINT, computed once (a macro argument is repeated wherever it is used)
    digits = f"select *, try_cast(substr(t, 1, 17) as bigint) as n17 from ({cells})"
    checked = (f"select *, id_value_t(t, p) as v from "
               f"(select *, coalesce(excel_error({c}), id_problem_n(t, n17)) as p from ({digits}))")
    legacy = "coalesce(length(t) = 15 and p is null, false) as legacy"
    # sha256() returns hex: the outer digest's first 32 hex digits are the 128-bit hash
    digest = (f"select *, case when v is not null then sha256($opad || unhex(sha256($ipad || cast(v as blob)))) "
              f"end as g from ({checked})")
    hashes = (f"select *, (cast(('0x' || substr(g, 1, 16)) as ubigint)::uhugeint << 64) "
              f"| cast(('0x' || substr(g, 17, 16)) as ubigint)::uhugeint as h from ({digest})")
    return f"select _k, v, p, {legacy}, h, id_masked(v) as m, uhuge_text(h) as ht from ({hashes})"


Extend = Callable[[str], str]  # a query over the rows of `norm` -> the query `norm` is made of (more columns)


def build(kind: Kind, present: set[str]) -> tuple[list[tuple[str, str, str | None]],
                                                    Callable[[set[str], Extend | None], str]]:
    """The statements that turn table `raw` (text cells) into temp table `norm` (typed + problems).

    Each column is cleaned and parsed once per distinct raw text (a dictionary table joined
    back), not once per row: translate() and the macros' regexes cost ~1 us per call, and
    real sheets repeat values (dates, amounts, fund codes, an ID on several rows).
    Same cleaned text, values and problem codes as computing them row by row.
    The cells themselves stay in `raw` (rows joined by `_row`) for showing problem values.
    An ID column also yields `id_hash`, `id_masked` and `_id_hash_text` (the statement then
    needs the $ipad/$opad parameters of the database key) and `{col}__legacy` (a 15-digit ID).
    The rows come in no particular order; `_row` is the spreadsheet row.

    Returns the dictionaries as (temp table, select, identity query) and a function giving the
    statement for `norm` once the dictionaries exist. An identity query answers whether that
    dictionary changes nothing (text already clean, no totals or note rows): such a column is
    taken from `raw` as it is, and its join (~0.15 s a million rows) is left out. The function's
    `extend`, if given, wraps the query to add columns computed from the typed ones in the same
    statement (validate's staging: a second table of a million rows costs ~0.5 s to write).
    """
    # the first cell decides totals and note rows; '' and NULL both clean to NULL
    dicts: list[tuple[str, str, str | None]] = [(
        "_d_first",
        "select _k, lower(regexp_replace(coalesce(_first, ''), '\\s', '', 'g')) as _first_word, "
        "regexp_matches(coalesce(_first, ''), $note_row) as _note_word "
        "from (select _k, cell(_k) as _first from (select distinct coalesce(_first, '') as _k from raw))",
        "select count(*) = 0 from _d_first where _note_word or list_contains($totals, _first_word)")]
    columns: list[tuple[Column, str]] = []  # each present column and its dictionary table
    for col in kind.columns:
        if col.name not in present:
            continue
        c, d = _q(col.name), _q("_d_" + col.name)
        columns.append((col, d))
        if col.type == ID:
            dicts.append((d, _id_dict(c), None))
            continue
        fold = "cell" if col.type == TEXT else "clean"
        value, problem = _typed(col, f"unit_{col.name}")
        problem = f"coalesce(excel_error({c}), {problem})" if problem else f"excel_error({c})"
        # NULL cells clean to NULL, whose value and problem are NULL: they need no entry
        cells = f"select _k, {fold}(_k) as {c} from (select distinct {c} as _k from raw where {c} is not null)"
        for name, expr in _stages(col, f"unit_{col.name}"):
            cells = f"select *, {expr} as {name} from ({cells})"
        identity = (f"select count(*) = 0 from {d} where v is distinct from _k or p is not null"
                    if col.type == TEXT else None)
        dicts.append((d, f"select _k, {value} as v, {problem} as p from ({cells})", identity))

    def norm(same: set[str], extend: Extend | None = None) -> str:
        """The statement for `norm`, given the dictionaries that change nothing."""
        typed = ["r._row"]
        joins = []
        if "_d_first" in same:
            typed += ["cast(null as varchar) as _first_word", "false as _note_word"]
        else:
            typed += ["f._first_word", "f._note_word"]
            joins.append("left join _d_first f on f._k = coalesce(r._first, '')")
        done = {col.name: d for col, d in columns}
        for col in kind.columns:
            c, problem = _q(col.name), _q(col.name + "__problem")
            d = done.get(col.name)
            if d is None:
                typed += [f"cast(null as {_SQL_TYPES[col.type]}) as {c}", f"cast(null as varchar) as {problem}"]
                continue
            if d in same:
                typed += [f"r.{c}", f"cast(null as varchar) as {problem}"]
                continue
            joins.append(f"left join {d} on {d}._k = r.{c}")
            if col.type == ID:
                typed += [f"coalesce({d}.legacy, false) as {_q(col.name + '__legacy')}", f"{d}.h as id_hash",
                          f"{d}.m as id_masked", f"{d}.ht as _id_hash_text"]
            typed += [f"{d}.v as {c}", f"{d}.p as {problem}"]
        # a cell that cleans to text has a value or a problem (every parser flags what it cannot read)
        filled = [f"{_q(c.name)} is null and {_q(c.name + '__problem')} is null"
                  for c in kind.columns if c.name in present]
        blank = " and ".join(filled) or "true"
        money = [_q(c.name) for c in kind.columns if c.name in present and c.type == MONEY]
        no_money = " and ".join(f"{c} is null" for c in money) or "true"
        query = f"""
with joined as (
    select {", ".join(typed)} from raw r {" ".join(joins)}
), typed as (
    select *, ({blank}) as _blank from joined
), final as (
    select *,
        case when list_contains($totals, _first_word) then _first_word end as _total,
        (not _blank and _note_word and ({no_money})) as _note
    from typed
)
select * exclude (_first_word, _note_word) from final
"""
        return f"create or replace temp table norm as {extend(query) if extend else query}"

    return dicts, norm


def run(con: duckdb.DuckDBPyConnection, kind: Kind, present: set[str], values: dict[str, object],
        keep_every_join: bool = False, extend: Extend | None = None) -> None:
    """Temp table `norm` from `raw` (see `build`); `values` from `params`. The dictionaries are dropped after.

    `keep_every_join` joins identity dictionaries back all the same (the reference `norm` they are
    checked against in tests/test_normalise_dicts.py); `extend`: see `build`.
    """
    dicts, norm = build(kind, present)
    try:
        same = make_dictionaries(con, dicts, values)
        sql = norm(set() if keep_every_join else same, extend)
        con.execute(sql, _bound(sql, values))
    finally:
        for table, _, _ in dicts:
            con.execute(f"drop table if exists temp.{table}")


def make_dictionaries(con: duckdb.DuckDBPyConnection, dicts: list[tuple[str, str, str | None]],
                      values: dict[str, object]) -> set[str]:
    """Create the dictionary tables of `build`; returns those that change nothing (identity)."""
    same = set()
    for table, select, identity in dicts:
        con.execute(f"create or replace temp table {table} as {select}", _bound(select, values))
        if identity is not None and con.execute(identity, _bound(identity, values)).fetchall()[0][0]:
            same.add(table)
    return same


def _bound(sql: str, values: dict[str, object]) -> dict[str, object]:
    """The parameters a statement names (DuckDB refuses values it has no place for)."""
    named = set(re.findall(r"\$(\w+)", sql))
    return {k: v for k, v in values.items() if k in named}


BODY = "not _blank and not _note and _total is null"  # the data rows of `norm`


def params(kind: Kind, present: set[str], units: dict[str, Decimal], key: bytes | None = None) -> dict[str, object]:
    """The bound values the normalisation statements need (`key`: the database key, when IDs are hashed)."""
    out: dict[str, object] = {"totals": list(TOTAL_WORDS), "note_row": NOTE_ROW}
    if any(c.type == TEXT and c.name in present and c.name not in DIGITS_ARE_DATA for c in kind.columns):
        out["id_pattern"] = redaction.SQL_PATTERN
    if key is not None and any(c.type == ID and c.name in present for c in kind.columns):
        out["ipad"], out["opad"] = keys.hmac_pads(key)
    for col in kind.columns:
        if col.name in present and col.type in (MONEY, DECIMAL):
            out[f"unit_{col.name}"] = int(units.get(col.name, Decimal(1)))
        if col.name in present and col.type == CATEGORY:
            out["cat_a"] = [w.lower() for w in CATEGORY_WORDS["household"]]
            out["cat_b"] = [w.lower() for w in CATEGORY_WORDS["project"]]
        if col.name in present and col.type == FLAG:
            out["flag_a"] = [w.lower() for w in FLAG_WORDS["deceased"]]
            out["flag_b"] = [w.lower() for w in FLAG_WORDS["official"]]
    return out
