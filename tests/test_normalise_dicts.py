"""Normalisation leaves out the join of a dictionary that changes nothing; `norm` must not change.

Each upload is normalised twice on the same `raw`: as the pipeline does it (joins of identity
dictionaries left out) and with every join kept. The two `norm` tables must be equal, row for
row, and the uploads below make each kind of dictionary non-identity in turn.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from funds.idnumber import check_char
from pipelines import header as hdr
from pipelines import normalise
from pipelines.read import drop_raw, open_source
from schemas.columns import ID, KINDS

HEAD = "资金编码,年度,乡镇,村,户编号,姓名,身份证号,金额,审批日期,发放日期"


def pid(n: int) -> str:
    body = f"420102198001{n:05d}"
    return body + check_char(body)


def row(n: int, town: str = "城关镇", village: str = "东村", name: str | None = None, first: str = "F01") -> str:
    return f"{first},2007,{town},{village},H{n:04d},{name or '张' + str(n)},{pid(n)},10.00,2007-03-05,2007-03-08"


CASES = {
    "all clean": [row(n) for n in range(1, 30)],
    "padded name": [row(n) for n in range(1, 10)] + [row(10, name=" 李四 ")],
    "fullwidth space in a town": [row(n) for n in range(1, 10)] + [row(10, town="城关镇\u3000")],
    "ID number typed in a village": [row(n) for n in range(1, 10)] + [row(10, village="东村" + pid(99))],
    "totals row": [row(n) for n in range(1, 10)] + ["合计,,,,,,,90.00,,"],
    "note row": [row(n) for n in range(1, 10)] + ["制表人：王五,,,,,,,,,"],
    "padded fund code": [row(n) for n in range(1, 10)] + [row(10, first=" F01")],
}


def _norm(con: duckdb.DuckDBPyConnection, kind_name: str, path: Path, keep_every_join: bool) -> list[tuple]:
    kind = KINDS[kind_name]
    source = open_source(path)
    header = hdr.locate(kind, source.head())
    present = set(header.columns.values())
    normalise.install_macros(con)
    source.load(con, header.index, header.columns, {c.name for c in kind.columns if c.type == ID})
    normalise.run(con, kind, present, normalise.params(kind, present, header.units, b"k" * 32), keep_every_join)
    rows = con.execute("select * from norm order by _row").fetchall()
    drop_raw(con)
    con.execute("drop table norm")
    return rows


@pytest.mark.parametrize("case", CASES)
def test_leaving_out_identity_joins_changes_nothing(case: str, tmp_path: Path) -> None:
    f = tmp_path / "p.csv"
    f.write_text("\n".join([HEAD, *CASES[case]]) + "\n", "utf-8")
    con = duckdb.connect()
    fast = _norm(con, "payments", f, keep_every_join=False)
    full = _norm(con, "payments", f, keep_every_join=True)
    assert fast == full
    assert len(fast) == len(CASES[case])


def test_a_clean_upload_skips_the_text_joins(tmp_path: Path) -> None:
    """The point of it: on a clean sheet the text columns, the first cell, come straight from raw."""
    f = tmp_path / "p.csv"
    f.write_text("\n".join([HEAD, *CASES["all clean"]]) + "\n", "utf-8")
    kind = KINDS["payments"]
    con = duckdb.connect()
    source = open_source(f)
    header = hdr.locate(kind, source.head())
    present = set(header.columns.values())
    normalise.install_macros(con)
    source.load(con, header.index, header.columns, {"id_number"})
    values = normalise.params(kind, present, header.units, b"k" * 32)
    dicts, norm = normalise.build(kind, present)
    same = normalise.make_dictionaries(con, dicts, values)
    assert same == {"_d_first", '"_d_fund_code"', '"_d_township"', '"_d_village"', '"_d_household_no"', '"_d_name"'}
    assert "_d_name" not in norm(same) and "_d_amount" in norm(same)
