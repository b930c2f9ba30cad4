"""Excel cells become the same text however a column is converted (whole column, per distinct value, per cell).

ExcelSource.table formats a column of repeated amounts and dates once per distinct value, and
transposes rectangular sheets in one step. Its output must equal the plain rule, one cell at a
time (`_excel_text`), for every mix of cell types a sheet can hold, including the ones that
compare equal across types (True == 1 == 1.0, 0.0 == -0.0) and ragged rows.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import xlsxwriter

from pipelines.read import ExcelSource, _excel_text

COLUMNS = {0: "fund_code", 1: "amount", 2: "approved_date", 3: "id_number", 4: "remarks"}


def _write(path: Path, rows: list[list[object]]) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    ws.write_row(0, 0, ["资金编码", "金额", "审批日期", "身份证号", "备注"])
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.datetime):
                ws.write_datetime(r, c, value, stamp if value.hour or value.minute else day)
            elif isinstance(value, bool):
                ws.write_boolean(r, c, value)
            elif isinstance(value, (int, float)):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, value)
    wb.close()


SHEETS = {
    "repeated amounts and dates": [
        ["F01", 10.5, dt.datetime(2007, 3, 5), "420102198001000012", None],
        ["F01", 10.5, dt.datetime(2007, 3, 5), "420102198001000012", ""],
        ["F02", 0.1 + 0.2, dt.datetime(2007, 3, 6, 14, 30), "420102198001000012", "x"],
        ["F02", 1e16, dt.datetime(2007, 3, 6), "420102198001000012", "y"]],
    "numbers that compare equal across types": [
        ["F01", 1, dt.datetime(2007, 3, 5), 1.0, True],
        ["F01", 1.0, dt.datetime(2007, 3, 5), 420102198001000012, 1],
        ["F01", -0.0, dt.datetime(2007, 3, 5), "420102198001000012", False],
        ["F01", 0.0, dt.datetime(2007, 3, 5), -0.0, 0]],
    "ragged rows": [
        ["F01", 5],
        ["F01", 5, dt.datetime(2007, 3, 5), "420102198001000012", "note"],
        ["F01"]],
    "text only": [["F01", "10", "2007-03-05", "420102198001000012", "a"]] * 3,
}


@pytest.mark.parametrize("sheet", SHEETS)
def test_each_column_reads_as_its_cells_one_by_one(sheet: str, tmp_path: Path) -> None:
    path = tmp_path / "cells.xlsx"
    _write(path, SHEETS[sheet])
    source = ExcelSource(path)
    table = source.table(0, COLUMNS, {"id_number"}).to_pydict()
    body = source.rows[1:]
    for idx, name in COLUMNS.items():
        expected = [_excel_text(r[idx], name == "id_number") if idx < len(r) else "" for r in body]
        assert table[name] == expected, name
    assert table["_row"] == list(range(2, 2 + len(body)))


def test_cell_types_that_compare_equal_keep_their_own_text(tmp_path: Path) -> None:
    """TRUE next to 1 in one column: a lookup by value would have made both '1' (or both 'TRUE')."""
    path = tmp_path / "mixed.xlsx"
    _write(path, SHEETS["numbers that compare equal across types"])
    table = ExcelSource(path).table(0, COLUMNS, {"id_number"}).to_pydict()
    assert table["remarks"] == ["TRUE", "1", "FALSE", "0"]
    assert table["id_number"][0] == "1.0"  # a numeric ID cell keeps its float form: its digits are not trusted
