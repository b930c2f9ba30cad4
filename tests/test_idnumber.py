"""ID numbers: the Python reference and the SQL macros agree; check digits, 15→18, mangled forms."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from funds import idnumber
from pipelines import normalise

digits = st.text(alphabet="0123456789", min_size=17, max_size=17)


def sql(con: duckdb.DuckDBPyConnection, raw: str) -> tuple[str | None, str | None]:
    return tuple(con.execute("select id_problem(clean($s)), id_value(clean($s))", {"s": raw}).fetchall()[0])  # type: ignore[return-value]


def make_con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    normalise.install_macros(con)
    return con


CON = make_con()


def test_known_check_digits() -> None:
    # GB 11643 worked example
    assert idnumber.check_char("11010519491231002") == "X"
    assert idnumber.normalise("11010519491231002x") == "11010519491231002X"


@settings(max_examples=100, deadline=None)
@given(digits)
def test_valid_ids_pass_in_python_and_sql(body: str) -> None:
    full = body + idnumber.check_char(body)
    assert idnumber.problem(full) is None
    assert sql(CON, full) == (None, full)
    assert sql(CON, " " + full.lower() + " ") == (None, full)


@settings(max_examples=100, deadline=None)
@given(digits, st.sampled_from("0123456789X"))
def test_wrong_check_digit_is_caught_the_same_way(body: str, check: str) -> None:
    raw = body + check
    py = idnumber.problem(raw)
    assert sql(CON, raw)[0] == py
    if check != idnumber.check_char(body):
        assert py in ("bad-id-checksum", "excel-mangled-id")


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet="0123456789", min_size=15, max_size=15))
def test_legacy_ids_become_18(body: str) -> None:
    full = idnumber.normalise(body)
    assert len(full) == 18 and full[6:8] == "19" and idnumber.problem(full) is None
    assert sql(CON, body) == (None, full)


def test_excel_forms_are_mangled() -> None:
    for raw in ("4.29999E+17", "4.29999123456789e+17", "420102196606060000.0", "110101800101001.0"):
        assert idnumber.problem(raw) == "excel-mangled-id"
        assert sql(CON, raw)[0] == "excel-mangled-id"


def test_full_width_digits_are_folded() -> None:
    body = "42010219800101001"
    full = body + idnumber.check_char(body)
    wide = "".join(chr(ord(c) + 0xFEE0) for c in full)
    assert sql(CON, wide) == (None, full)
    assert idnumber.normalise(wide) == full
