"""Excel cells become the same text however a column is converted (whole column, per distinct value, per cell).

ExcelSource.table formats a column of repeated amounts and dates once per distinct value, and
transposes rectangular sheets in one step; a big .xlsx is read by fastexcel into typed Arrow
columns instead of calamine's cells. Its output must equal the plain rule, one cell at a time
(`_excel_text` over calamine's cells), for every mix of cell types a sheet can hold, including the
ones that compare equal across types (True == 1 == 1.0, 0.0 == -0.0) and ragged rows, whichever
reader read it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import xlsxwriter

from pipelines import read
from pipelines.read import ExcelSource, _excel_text

COLUMNS = {0: "fund_code", 1: "amount", 2: "approved_date", 3: "id_number", 4: "remarks"}


def _write(path: Path, rows: list[list[object]]) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    stamp = wb.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    clock = wb.add_format({"num_format": "hh:mm"})
    hours = wb.add_format({"num_format": "[h]:mm"})
    ws.write_row(0, 0, ["资金编码", "金额", "审批日期", "身份证号", "备注"])
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, dt.datetime):
                ws.write_datetime(r, c, value, stamp if value.hour or value.minute else day)
            elif isinstance(value, dt.time):
                ws.write_datetime(r, c, value, clock)
            elif isinstance(value, dt.timedelta):
                ws.write_number(r, c, value / dt.timedelta(days=1), hours)
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
    "numeric IDs only": [
        ["F01", 10.25, dt.datetime(2007, 3, 5), 4.20102198001e17, "a"],
        ["F01", 1e16, dt.datetime(2007, 3, 5), 420102198001000012, None],
        ["F01", 0.1 + 0.2, dt.datetime(1900, 3, 1), -0.0, "b"]],
    "blank row and an empty column": [
        ["F01", 10.5, dt.datetime(2007, 3, 5), "420102198001000012"],
        [None, None, None, None, None],
        ["\u3000", 10.5, None, " "],
        [" 合计 ", 10.5]],
    "times of day in a date column": [
        ["F01", 1.0, dt.time(13, 5), "420102198001000012", "a"],
        ["F01", 1.0, dt.datetime(2007, 3, 5), "420102198001000012", "a"]],
    "a column of booleans": [["F01", 1.0, dt.datetime(2007, 3, 5), "420102198001000012", flag]
                             for flag in (True, False, None, True)],
    "durations": [["F01", 1.0, dt.datetime(2007, 3, 5), "420102198001000012", dt.timedelta(hours=30)]],
    "a numeric cell among text IDs": [
        ["F01", 1.0, dt.datetime(2007, 3, 5), "420102198001000012" if n != 1500 else 4.20102198001e17, "a"]
        for n in range(1600)],
}
TYPED = {"repeated amounts and dates", "ragged rows", "text only", "numeric IDs only", "blank row and an empty column",
         "a column of booleans"}


@pytest.fixture(params=["calamine", "fastexcel"])
def reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> list[bool] | None:
    """Which reader reads a workbook's body: calamine's cells (None), or (as for a big .xlsx) fastexcel's
    typed columns where every column is of one type: then the list of whether fastexcel gave a table."""
    if request.param == "calamine":
        return None
    return _spy_on_fastexcel(monkeypatch)


def _spy_on_fastexcel(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    answers: list[bool] = []
    monkeypatch.setattr(read, "HEAD_COPY_MB", 0)  # these test workbooks are small
    typed = read._typed_table

    def spy(*args: object) -> object:
        answers.append((out := typed(*args)) is not None)  # type: ignore[arg-type]
        return out

    monkeypatch.setattr(read, "_typed_table", spy)
    return answers


@pytest.mark.parametrize("sheet", SHEETS)
def test_each_column_reads_as_its_cells_one_by_one(sheet: str, tmp_path: Path, reader: list[bool] | None) -> None:
    path = tmp_path / "cells.xlsx"
    _write(path, SHEETS[sheet])
    source = ExcelSource(path)
    table = source.table(0, COLUMNS, {"id_number"}).to_pydict()
    body = source.rows[1:]  # calamine's cells, one by one
    for idx, name in COLUMNS.items():
        expected = [_excel_text(r[idx], name == "id_number") if idx < len(r) else "" for r in body]
        assert table[name] == expected, name
    assert table["_row"] == list(range(2, 2 + len(body)))
    assert table["_first"] == [read._first_text([_excel_text(c, False) for c in r[:3]]) for r in body]
    if reader is not None:  # fastexcel reads what it can type; a sheet it cannot is calamine's
        assert reader == [sheet in TYPED]


def _payments(path: Path, rows: int, bad_amount: int | None = None, numeric_id: int | None = None,
              notes_sheet_first: bool = False, formatted_far_cell: bool = False) -> None:
    """A payments roster under a title row, starting in column B; `bad_amount` and `numeric_id` are the
    spreadsheet rows of a negative amount and of an ID typed as a number; `formatted_far_cell`: the last
    cell of the grid (XFD1048576) given a border and no value, as Excel saves a cell formatted by mistake."""
    from funds.idnumber import check_char

    wb = xlsxwriter.Workbook(str(path))
    if notes_sheet_first:
        wb.add_worksheet("说明")  # empty: the roster is the first sheet that holds data
    ws = wb.add_worksheet()
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 1, ["2007年补贴资金发放明细表"])
    ws.write_row(1, 1, ["资金编码", "年度", "乡镇", "村", "姓名", "身份证号", "金额", "审批日期"])
    for r in range(2, rows + 2):
        body = f"420102198001{r:05d}"
        person: object = body + check_char(body) if r + 1 != numeric_id else 4.20102198001e17
        ws.write_row(r, 1, ["F01", 2007, "城关镇", "东村", f"张{r}", person, -1.0 if r + 1 == bad_amount else 10.0])
        ws.write_datetime(r, 8, dt.datetime(2007, 3, 5), day)
    if formatted_far_cell:
        ws.write_blank(1_048_575, 16_383, None, wb.add_format({"border": 1}))  # <c r="XFD1048576" s="2"/>
    wb.close()


def _ingest(db_path: Path, path: Path):  # type: ignore[no-untyped-def]
    from pipelines.ingest import ingest_file, open_for_ingest

    con, key = open_for_ingest(db_path)
    try:
        return ingest_file(con, key, "payments", path, "t")
    finally:
        con.close()


@pytest.mark.parametrize("layout", ["text IDs", "an empty sheet first", "a numeric ID cell at row 1502"])
def test_a_big_workbook_keeps_its_row_numbers_and_a_numeric_id_cell_deep_in_it_is_refused(
        layout: str, catalogue_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A roster under a title row, starting in column B, read by fastexcel: its problems are reported on
    the rows a spreadsheet shows. fastexcel would turn a number among text cells into digits
    (420102198001000000): every row is typed, so such a column goes to calamine, whose cell keeps its
    float form, and the row is refused as an ID Excel turned into a number."""
    typed = _spy_on_fastexcel(monkeypatch)
    path = tmp_path / "roster.xlsx"
    numeric_id = layout == "a numeric ID cell at row 1502"
    _payments(path, 1600, bad_amount=1202, numeric_id=1502 if numeric_id else None,
              notes_sheet_first=layout == "an empty sheet first")
    out = _ingest(catalogue_db, path)
    assert out.status == "rejected" and out.report.rows == 1600
    assert out.report.flatten() == [[1202, "amount", "non-positive-amount"],
                                    *([[1502, "id_number", "excel-mangled-id"]] if numeric_id else [])]
    assert typed == [not numeric_id]


@pytest.mark.parametrize("reader", ["calamine", "fastexcel"], indirect=True)
def test_excel_error_values_are_refused_on_their_rows_not_read_as_blanks(
        reader: list[bool] | None, catalogue_db: Path, tmp_path: Path) -> None:
    """Both readers give an error cell as a blank: a VLOOKUP's #N/A in the paid date would have loaded
    as "not yet paid", and #REF! in a name as an empty name. Each is refused on its row, with its text,
    whichever reader read the sheet (fastexcel's table is set aside for calamine's when the sheet has one)."""
    from funds import codes
    from funds.idnumber import check_char

    path = tmp_path / "roster.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["资金编码", "年度", "乡镇", "村", "姓名", "身份证号", "金额", "审批日期", "发放日期"])
    for r in range(1, 41):
        body = f"420102198001{r:05d}"
        ws.write_row(r, 0, ["F01", 2007, "城关镇", "东村", f"张{r}", body + check_char(body), 10.0,
                            "2007-03-05", "2007-03-09"])
    ws.write_formula(2, 8, "=VLOOKUP(E3,发放!A:B,2,FALSE)", None, "#N/A")
    ws.write_formula(4, 4, "=#REF!", None, "#REF!")
    ws.write_formula(5, 6, "=1/0", None, "#DIV/0!")
    wb.close()
    out = _ingest(catalogue_db, path)
    assert out.status == "rejected" and out.report.rows == 40
    assert out.report.flatten() == [[3, "paid_date", "excel-error"], [5, "name", "excel-error"],
                                    [6, "amount", "excel-error"]]
    assert [i.value for i in out.report.errors] == ["#N/A", "#REF!", "#DIV/0!"]
    assert "#N/A" in codes.message("excel-error", "en", row=3, column="paid_date", value="#N/A")
    if reader is not None:
        assert reader == [True]  # fastexcel read the sheet, and its blanks were not used


@pytest.mark.parametrize("layout", ["behind an empty sheet", "sheets' parts in another order"])
def test_excel_error_values_are_found_in_the_sheet_that_is_read(layout: str, catalogue_db: Path,
                                                                 tmp_path: Path) -> None:
    """The sheet read is the first with data, in the workbook's order; its part is found through the
    workbook's relationships, which need not follow the parts' names (sheet2.xml may come first)."""
    import zipfile

    from funds.idnumber import check_char

    plain = tmp_path / "plain.xlsx"
    wb = xlsxwriter.Workbook(str(plain))
    wb.add_worksheet("说明")
    ws = wb.add_worksheet("明细")
    ws.write_row(0, 0, ["资金编码", "年度", "乡镇", "村", "姓名", "身份证号", "金额", "审批日期", "发放日期"])
    body = "42010219800100001"
    ws.write_row(1, 0, ["F01", 2007, "城关镇", "东村", "张三", body + check_char(body), 10.0, "2007-03-05"])
    ws.write_formula(1, 8, "=VLOOKUP(E2,到账!A:B,2,FALSE)", None, "#N/A")
    wb.close()
    path = tmp_path / "roster.xlsx"
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if layout != "behind an empty sheet" and info.filename == "xl/_rels/workbook.xml.rels":
                data = (data.replace(b"worksheets/sheet1.xml", b"@").replace(b"worksheets/sheet2.xml", b"worksheets/sheet1.xml")
                        .replace(b"@", b"worksheets/sheet2.xml"))  # the first sheet is sheet2.xml, the roster
            zout.writestr(info, data)
    with zipfile.ZipFile(path) as zf:
        assert read.sheet_parts(zf) == (["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"]
                                        if layout == "behind an empty sheet"
                                        else ["xl/worksheets/sheet2.xml", "xl/worksheets/sheet1.xml"])
    out = _ingest(catalogue_db, path)
    assert out.report.flatten() == [[2, "paid_date", "excel-error"]]


def test_an_excel_error_value_in_a_csv_is_refused_as_in_a_workbook(catalogue_db: Path, tmp_path: Path) -> None:
    """A CSV saved from Excel writes an error cell as its text: #N/A in a name or a date is refused the same way."""
    from funds.idnumber import check_char

    body = "42010219800100001"
    path = tmp_path / "roster.csv"
    path.write_text("资金编码,年度,乡镇,村,姓名,身份证号,金额,审批日期,发放日期\n"
                    f"F01,2007,城关镇,东村,#N/A,{body + check_char(body)},10,2007-03-05,#VALUE!\n", encoding="utf-8")
    out = _ingest(catalogue_db, path)
    assert out.report.flatten() == [[2, "name", "excel-error"], [2, "paid_date", "excel-error"]]


def test_cell_types_that_compare_equal_keep_their_own_text(tmp_path: Path) -> None:
    """TRUE next to 1 in one column: a lookup by value would have made both '1' (or both 'TRUE')."""
    path = tmp_path / "mixed.xlsx"
    _write(path, SHEETS["numbers that compare equal across types"])
    table = ExcelSource(path).table(0, COLUMNS, {"id_number"}).to_pydict()
    assert table["remarks"] == ["TRUE", "1", "FALSE", "0"]
    assert table["id_number"][0] == "1.0"  # a numeric ID cell keeps its float form: its digits are not trusted


def _roster(path: Path, rows: int, empty_first_sheet: bool = False) -> None:
    """A roster under a title row and a merged title cell, with dates, amounts and IDs in every row."""
    wb = xlsxwriter.Workbook(str(path))
    if empty_first_sheet:
        wb.add_worksheet("说明")
    ws = wb.add_worksheet("明细")
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.merge_range(0, 0, 0, 4, "2007年补贴资金发放明细表（单位：万元）")
    ws.write_row(1, 0, ["资金编码", "金额", "审批日期", "身份证号", "备注"])
    for r in range(2, rows + 2):
        ws.write_row(r, 0, [f"F{r % 7:02d}", r / 4, None, "420102198001000012" if r % 3 else 4.20102198001e17])
        ws.write_datetime(r, 2, dt.datetime(2007, 1, 1) + dt.timedelta(days=r % 300), day)
        if r % 5 == 0:
            ws.write_string(r, 4, f"第{r}行")
    wb.close()


def _prefixed(src: Path, dst: Path) -> None:
    """The same workbook with its sheet's elements in a prefixed namespace (x:row, ...), as some writers save."""
    import re
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                declaration, body = data.decode().split("?>", 1)
                body = re.sub(r"<(/?)([A-Za-z]+)([ >/])", r"<\1x:\2\3", body).replace("xmlns=", "xmlns:x=")
                data = (declaration + "?>" + body).encode()
            zout.writestr(info, data)


@pytest.mark.parametrize("layout", ["one sheet", "empty sheet first", "fewer rows than the head reads",
                                    "prefixed elements"])
def test_the_head_of_a_big_workbook_is_read_from_its_first_rows_alone(layout: str, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """`head_rows` (how `funds ingest auto` tells a file's kind, and the upload page's preview) reads a
    copy of the workbook cut after its first rows: the same rows as a full read, without parsing a
    roster's whole sheet (~1.1 s for 125k rows) before the check parses it again."""
    import zipfile

    from python_calamine import CalamineWorkbook

    monkeypatch.setattr(read, "HEAD_COPY_MB", 0)  # these test workbooks are small
    path = tmp_path / "roster.xlsx"
    _roster(path, 40 if layout == "fewer rows than the head reads" else 2000, layout == "empty sheet first")
    if layout == "prefixed elements":
        _prefixed(path, tmp_path / "prefixed.xlsx")
        path = tmp_path / "prefixed.xlsx"
    copy = read.head_copy(path, read.HEAD_ROWS * 10)
    assert copy is not None
    with zipfile.ZipFile(copy) as zf, zipfile.ZipFile(path) as whole:
        sheet = max(whole.namelist(), key=lambda n: whole.getinfo(n).file_size)
        if layout != "fewer rows than the head reads":
            assert zf.getinfo(sheet).file_size < whole.getinfo(sheet).file_size / 3  # cut, not copied
    first = read.HEAD_ROWS * 10
    copy.seek(0)
    whole_rows = ExcelSource(path).rows
    assert read._sheet_rows(CalamineWorkbook.from_filelike(copy), first, True, None)[1] == whole_rows[:first]
    full = ExcelSource(path).head()
    assert read.head_rows(path) == full
    assert full[0][0].startswith("2007年") and full[1][:2] == ["资金编码", "金额"]


def test_a_damaged_big_workbook_is_still_refused_as_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(read, "HEAD_COPY_MB", 0)
    path = tmp_path / "cut.xlsx"
    _roster(path, 2000)
    path.write_bytes(path.read_bytes()[:-300])  # the zip's directory lost
    with pytest.raises(read.ReadProblem) as problem:
        read.head_rows(path)
    assert problem.value.code == "unreadable-file"


def test_a_big_workbook_damaged_below_its_head_is_refused_as_unreadable(catalogue_db: Path, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Its head reads from the cut copy; fastexcel then fails on the body, and calamine's refusal is the answer."""
    import zipfile

    typed = _spy_on_fastexcel(monkeypatch)
    whole = tmp_path / "roster.xlsx"
    _payments(whole, 2000)
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(whole) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[:len(data) * 3 // 4]  # the XML ends inside row ~1500
            zout.writestr(info, data)
    assert read.head_rows(path)[1][1:3] == ["资金编码", "年度"]  # the head reads from the cut copy
    out = _ingest(catalogue_db, path)
    assert out.status == "rejected" and [i.code for i in out.report.issues] == ["unreadable-file"]
    assert typed == [False]


FAR = ('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
       '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>资金编码</t></is></c></row>'
       '<row r="2"><c r="A2" t="inlineStr"><is><t>F01</t></is></c></row>'
       '<row r="1048576"><c r="XFD1048576"><v>2</v></c></row></sheetData></worksheet>').encode()


def _with_sheet(src: Path, dst: Path, sheet_xml: bytes, pad_mb: int = 0) -> None:
    """`src` with its first sheet's XML replaced (and, with `pad_mb`, a stored part of random bytes
    making the file that many MB: a big workbook, whose head is read from a cut copy)."""
    import os
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, sheet_xml if info.filename == "xl/worksheets/sheet1.xml" else zin.read(info))
        if pad_mb:
            zout.writestr("docProps/padding.bin", os.urandom(pad_mb << 20), zipfile.ZIP_STORED)


@pytest.mark.parametrize("size", ["small", "big"])
def test_a_sheet_whose_cells_reach_far_outside_the_table_is_refused_before_it_is_built(
        size: str, catalogue_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """calamine and fastexcel build the whole range a sheet's cells span (A1:XFD1048576: 550 GB), and the
    process aborts. A small workbook is scanned whole before it is parsed; a big one's first rows are
    scanned as they are cut for its head. The refusal names the far cell, in the user's language."""
    from funds import codes

    plain = tmp_path / "plain.xlsx"
    _write(plain, [["F01"]])
    path = tmp_path / "far.xlsx"
    _with_sheet(plain, path, FAR, pad_mb=3 if size == "big" else 0)
    assert (path.stat().st_size > read.HEAD_COPY_MB << 20) == (size == "big")
    if size == "big":
        monkeypatch.setattr(read, "EXTENT_SCAN_MB", 0)  # its sheets are not scanned whole: the cut head is
    with pytest.raises(read.ReadProblem) as problem:
        read.head_rows(path)
    assert (problem.value.code, problem.value.detail) == ("sheet-too-large", "XFD1048576")
    out = _ingest(catalogue_db, path)
    assert out.status == "rejected" and [i.code for i in out.report.issues] == ["sheet-too-large"]
    message = codes.message("sheet-too-large", "en", detail=problem.value.detail)
    assert "XFD1048576" in message and "Ctrl+End" in message


@pytest.mark.parametrize("reader", ["default", "every sheet scanned", "the app's check job"])
def test_a_far_cell_below_a_big_workbooks_head_is_refused_where_its_sheet_is_scanned(
        reader: str, catalogue_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The head (cut after its first rows) reads fine; the sheet itself is scanned before fastexcel builds it:
    by default when its XML is up to EXTENT_SCAN_MB, and in the app's server however big it is."""
    from pipelines import check_job

    head = "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>'
                   for i, h in enumerate(["资金编码", "年度", "乡镇", "村", "姓名", "身份证号", "金额", "审批日期"]))
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>F01</t></is></c></row>' for r in range(2, 402))
    sheet = (f'<worksheet><sheetData><row r="1">{head}</row>{rows}'
             '<row r="1048576"><c r="XFD1048576"><v>2</v></c></row></sheetData></worksheet>').encode()
    plain = tmp_path / "plain.xlsx"
    _write(plain, [["F01"]])
    path = tmp_path / "far.xlsx"
    _with_sheet(plain, path, sheet, pad_mb=3)
    assert read.head_rows(path)[0][:2] == ["资金编码", "年度"]  # the far cell lies below the rows cut for the head
    if reader != "default":
        monkeypatch.setattr(read, "EXTENT_SCAN_MB", 0)  # as for a sheet too big to scan by default
    if reader == "the app's check job":
        job = check_job.start(catalogue_db, "payments", path, "far.xlsx", "t")
        assert job.wait(60) and job.error is None
        out = job.outcome
    else:
        if reader == "every sheet scanned":
            read.scan_every_sheet()
        out = _ingest(catalogue_db, path)
    assert out is not None and out.status == "rejected"
    assert [(i.code, i.value) for i in out.report.issues] == [("sheet-too-large", "XFD1048576")]


@pytest.mark.parametrize("layout", ["small", "big", "big, every sheet scanned", "prefixed elements"])
def test_a_far_cell_that_is_only_formatted_does_not_stop_a_roster_loading(
        layout: str, catalogue_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A formatted cell with no value spans nothing: calamine and fastexcel build only cells with a value.
    The extent check measures those, and the roster loads whole however far the formatted cell is."""
    import zipfile

    plain = tmp_path / "plain.xlsx"
    _payments(plain, 40, formatted_far_cell=True)
    with zipfile.ZipFile(plain) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
    assert b'r="XFD1048576"' in sheet and b"<v>" not in sheet.split(b'r="XFD1048576"')[1]
    path = tmp_path / "roster.xlsx"
    if layout == "prefixed elements":
        _prefixed(plain, path)
    else:
        _with_sheet(plain, path, sheet, pad_mb=3 if layout.startswith("big") else 0)
    if layout == "big":
        monkeypatch.setattr(read, "EXTENT_SCAN_MB", 0)  # not scanned whole: fastexcel and calamine read it
    if layout == "big, every sheet scanned":
        monkeypatch.setattr(read, "EXTENT_SCAN_MB", 0)
        read.scan_every_sheet()  # scanned whole however big (the app's server), then measured again
    assert read.head_rows(path)[1][1:3] == ["资金编码", "年度"]
    out = _ingest(catalogue_db, path)
    assert (out.status, out.report.rows, out.report.flatten()) == ("loaded", 40, [])


def test_the_extent_counts_cells_and_rows_written_without_a_reference() -> None:
    """A reader numbers a cell without a reference one column past the last: 16,384 of them in row 1
    and a cell in row 1,048,576 span the whole grid, though no reference names a far column."""
    head = b'<worksheet><sheetData><row>' + b"<c><v>1</v></c>" * 16384 + b"</row>"
    with pytest.raises(read.ReadProblem):
        read.check_extent(head + b'<row r="1048576"><c r="A1048576"><v>2</v></c></row></sheetData></worksheet>')
    read.check_extent(head + b'<row r="2"><c r="A2"><v>2</v></c></row></sheetData></worksheet>')  # 2 x 16,385
    far = b'<worksheet><sheetData><row r="1000000"><c r="AD1000000"><v>1</v></c></row>'  # 30 x 1,000,000
    read.check_extent(far + b"</sheetData></worksheet>")  # MAX_SHEET_CELLS exactly
    with pytest.raises(read.ReadProblem):  # two rows and cells without a reference: numbered on to 1,000,002
        read.check_extent(far + b"<row><c><v>1</v></c></row>" * 2 + b"</sheetData></worksheet>")
    # cells placed by their references, in rows without one: the range is theirs, 30 x 1,000,000
    read.check_extent(far + b'<row><c r="A5"><v>1</v></c></row>' * 2 + b"</sheetData></worksheet>")
    with pytest.raises(read.ReadProblem):  # a reference of another element stands for no cell and no row
        read.check_extent(far + b'<row><c><v>1</v><extLst><ext r="A1"/></extLst></c></row>' * 2
                          + b"</sheetData></worksheet>")
    with pytest.raises(read.ReadProblem):  # the same cells in a prefix (closing tags are not cells)
        read.check_extent(b'<x:worksheet><x:sheetData><x:row>' + b"<x:c><x:v>1</x:v></x:c>" * 16384
                          + b'</x:row><x:row r="1048576"><x:c r="A1048576"><x:v>2</x:v></x:c></x:row></x:sheetData>'
                          b"</x:worksheet>")
    with pytest.raises(read.ReadProblem) as problem:  # a line break before the reference
        read.check_extent(b'<worksheet><sheetData><row r="1"><c r="A1"/><c\nr="XFD1048576"><v>2</v></c></row>'
                          b"</sheetData></worksheet>")
    assert problem.value.detail == "XFD1048576"
    read.check_extent(b'<x:worksheet><x:sheetData>' + b'<x:row r="7"><x:c r="E7"><x:v>1</x:v></x:c></x:row>' * 5000
                      + b"</x:sheetData></x:worksheet>")
    with pytest.raises(read.ReadProblem):  # references of other elements place no cell: they offset none
        read.check_extent(head + b'<row r="1048576"><c r="A1048576"><v>2</v></c></row></sheetData>'
                          + b'<extLst>' + b'<ext r="A1"/>' * 16384 + b"</extLst></worksheet>")


def test_a_small_workbook_whose_sheet_is_big_is_scanned_whole(tmp_path: Path) -> None:
    """A workbook under HEAD_COPY_MB is parsed whole, so no cut head is scanned for it: its sheets are
    scanned whole whatever the size of their XML (here 17 MB, compressing to under 2 MB)."""
    plain = tmp_path / "plain.xlsx"
    _write(plain, [["F01"]])
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>1</v></c></row>' for r in range(2, 400_000))
    sheet = (f'<worksheet><sheetData>{rows}<row r="1048576"><c r="XFD1048576"><v>2</v></c></row>'
             "</sheetData></worksheet>").encode()
    path = tmp_path / "far.xlsx"
    _with_sheet(plain, path, sheet)
    assert path.stat().st_size < read.HEAD_COPY_MB << 20 < read.EXTENT_SCAN_MB << 20 < len(sheet)
    with pytest.raises(read.ReadProblem) as problem:
        read.head_rows(path)
    assert problem.value.detail == "XFD1048576"


def test_error_cells_are_found_however_their_tags_are_written() -> None:
    xml = (b'<sheetData><row r="2"><c r="B2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
           b"<c r='C2' t='e'><v xml:space=\"preserve\">#N/A</v></c><c r=\"D2\" t=\"s\"><v>3</v></c>"
           b'<x:c r="E2" t="e"><x:v>#REF!</x:v></x:c><c r="F2" t="e"/></row></sheetData>')
    assert read.error_cells(xml) == {(1, 1): "#DIV/0!", (1, 2): "#N/A", (1, 4): "#REF!"}


def _last_row(cell: str) -> str:
    x = "x:" if cell.startswith("<x:") else ""
    return f'<{x}row r="1048576">{cell}</{x}row>'


@pytest.mark.parametrize(("rows", "refused"), [
    # a cell that surely holds nothing: only formatted
    (_last_row('<c r="XFD1048576" s="2"/>'), False), (_last_row('<c r="XFD1048576" s="2"></c>'), False),
    (_last_row('<x:c r="XFD1048576" s="2"/>'), False), (_last_row("<c r='XFD1048576' s='2'/>"), False),
    ('<row r="2000"><c r="XFD2000" s="2"/></row><row r="2001"><c r="A2001"><v>3</v></c></row>', False),
    # a value, however written (calamine builds each of these, or might: an under-count aborts the process)
    (_last_row('<c r="XFD1048576"><v>2</v></c>'), True), (_last_row('<c r="XFD1048576"><f>A1*2</f><v>2</v></c>'), True),
    (_last_row('<c r="XFD1048576" t="inlineStr"><is><t></t></is></c>'), True),
    (_last_row('<c r="XFD1048576" t="str"><v></v></c>'), True),
    (_last_row('<c r="XFD1048576" t="str"><v xml:space="preserve"> x</v></c>'), True),
    (_last_row('<c r="XFD1048576" t="str"><v/></c>'), True), (_last_row('<c r="XFD1048576" t="d"><v/></c>'), True),
    (_last_row('<c r="XFD1048576" t="inlineStr"><is/></c>'), True),
    (_last_row('<x:c r="XFD1048576"><x:v>2</x:v></x:c>'), True), (_last_row('<c r="XFD1048576"><x:v>2</x:v></c>'), True),
    (_last_row('<c r="XFD1048576" foo="a/>b"><v>2</v></c>'), True),
    (_last_row('<c r="XFD1048576"><!--</c>--><v>2</v></c>'), True),
    (_last_row('<c r="XFD1048576"><f><![CDATA[</c>]]></f><v>2</v></c>'), True),
    (_last_row("<c r='XFD1048576'><v>2</v></c>"), True), (_last_row('<c r = "XFD1048576"><v>2</v></c>'), True),
    (_last_row('<c r="XFC1048576" s="0"/><c><v>2</v></c>'), True),  # the cell after it is XFD1048576
    (_last_row('<c r="XFD1048576"><f>A1*2</f></c>'), True),  # a formula alone: counted, to be safe
    # what a second review found calamine reads, each once let through
    (_last_row('<:c r="XFD1048576"><v>1</v></:c>'), True), (_last_row('<c b="<" r="XFD1048576"><v>1</v></c>'), True),
    (_last_row('<c r="xfd1048576"><v>1</v></c>'), True), (_last_row("""<c r="XFD1048576" a='"/>'><v>1</v></c>"""), True),
    (_last_row("""<c r="XFD1048576"/><c a=' r="A1"'><v>1</v></c>"""), True),
    (_last_row('<c r="XFD1048576"><v>2</v></c><c r="A00000001"><v>1</v></c>'), True),
    (_last_row('<c r  ="XFD1048576"><v>1</v></c>'), True), (_last_row('<c t="n"r="XFD1048576"><v>1</v></c>'), True),
    ("<p></row>" * 100_000 + '<row r="1"><c r="XFD1"/><c><v>1</v></c></row>', True),
    ('<row r="999"><c r="AAAAA1"><v>1</v></c><c r="A999"><v>1</v></c></row>', True),
])
def test_the_extent_counts_the_cells_a_reader_builds(rows: str, refused: bool) -> None:
    """A far cell that surely holds nothing (written `<c .../>` or `<c ...></c>`) spans nothing for calamine;
    any other far cell is refused, whatever hides its value: a prefix, a '/>' in an attribute, a '</c>' in
    a comment, quotes of either kind, a cell without a reference after a formatted one. Row 1 holds a
    value in column AE: the last row written would make 31 x 1,048,576 cells if a formatted cell counted."""
    x = "x:" if "<x:c" in rows else ""
    sheet = (f'<{x}worksheet><{x}sheetData><{x}row r="1"><{x}c r="AE1"><{x}v>1</{x}v></{x}c></{x}row>'
             f'{rows}</{x}sheetData></{x}worksheet>').encode()
    if refused:
        with pytest.raises(read.ReadProblem) as problem:
            read.check_extent(sheet)
        assert problem.value.code == "sheet-too-large"
    else:
        read.check_extent(sheet)



@pytest.mark.parametrize("layout", ["drop-down lists on a hidden first sheet", "instructions first",
                                    "projects first, then payments", "an older copy on a hidden first sheet"])
def test_the_sheet_read_is_the_one_with_the_header_sought(layout: str, catalogue_db: Path, tmp_path: Path) -> None:
    """A template may keep its drop-down lists on a hidden sheet, or its instructions on the first one: the
    sheet read is the first whose header is of the kind uploaded, not the first that holds anything, and
    a visible sheet before a hidden one (an older copy of the roster kept out of sight).
    The preview and `funds ingest auto` tell the kind from that sheet, and the marked copy of a rejected
    upload shows its rows."""
    from funds.idnumber import check_char
    from pipelines import marked_xlsx
    from pipelines.header import guess_kind
    from pipelines.ingest import plan

    path = tmp_path / "roster.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    first = wb.add_worksheet("lists" if layout.startswith("drop") else "说明")
    if layout.startswith("drop"):
        first.write_column(0, 0, ["城关镇", "石桥镇", "东村", "下村"])
        first.hide()
    elif layout.startswith("an older copy"):
        first.write_row(0, 0, ["资金编码", "年度", "乡镇", "村", "姓名", "身份证号", "金额", "审批日期"])
        first.write_row(1, 0, ["F01", 2007, "城关镇", "东村", "旧", "420102198001000012", 10.0, "2007-03-05"])
        first.hide()
    elif layout == "instructions first":
        first.write_column(0, 0, ["填表说明：", "1. 身份证号请设置为文本格式", "2. 金额单位为元"])
    else:
        first.write_row(0, 0, ["资金编码", "项目编号", "项目名称", "项目资金", "批复日期"])
        first.write_row(1, 0, ["F01", "XM1", "道路", 100, "2007-05-01"])
    roster = wb.add_worksheet("明细")
    roster.write_row(0, 0, ["资金编码", "年度", "乡镇", "村", "姓名", "身份证号", "金额", "审批日期"])
    for r in range(1, 6):
        body = f"420102198001{r:05d}"
        roster.write_row(r, 0, ["F01", 2007, "城关镇", "东村", f"张{r}", body + check_char(body),
                                -1.0 if r == 3 else 10.0, "2007-03-05"])
    roster.activate()
    wb.close()
    out = _ingest(catalogue_db, path)
    assert (out.status, out.report.rows, out.report.flatten()) == ("rejected", 5, [[4, "amount", "non-positive-amount"]])
    if layout != "projects first, then payments":  # two kinds in one workbook: the preview shows the first
        assert guess_kind(read.head_rows(path)) == "payments"
        assert plan([path]) == [("payments", [path])]
    marked = tmp_path / "marked.xlsx"
    marked.write_bytes(marked_xlsx.build(path, out.report, "en"))
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(marked)).get_sheet_by_index(0).to_python()
    assert rows[0][1:3] == ["资金编码", "年度"] and [r[5] for r in rows[1:6]] == [f"张{r}" for r in range(1, 6)]


@pytest.mark.parametrize("reader", ["calamine", "fastexcel"], indirect=True)
def test_cells_merged_down_over_rows_are_filled_into_each_row(reader: list[bool] | None, catalogue_db: Path,
                                                             tmp_path: Path) -> None:
    """A roster writes a township once, merged beside its villages' rows, and a batch's approval date once:
    each row gets the value the sheet shows beside it, and the report says so. An amount merged over two
    rows is one amount, not one a row: the second row is reported as having none."""
    import duckdb

    from funds.idnumber import check_char

    def roster(path: Path, merged_amount: bool, who: str = "张") -> None:
        wb = xlsxwriter.Workbook(str(path))
        ws = wb.add_worksheet()
        ws.merge_range(0, 0, 0, 7, "2007年补贴资金发放明细表")
        ws.write_row(1, 0, ["乡镇", "村", "资金编码", "年度", "姓名", "身份证号", "金额", "审批日期"])
        for r in range(2, 14):
            body = f"420102198001{r:05d}"
            ws.write_row(r, 1, ["东村" if r < 8 else "西村", "F01", 2007, f"{who}{r}", body + check_char(body)])
            if not (merged_amount and r in (4, 5)):
                ws.write_number(r, 6, 10.0)
        ws.merge_range(2, 0, 7, 0, "城关镇")  # A3:A8
        ws.merge_range(8, 0, 13, 0, "石桥镇")  # A9:A14
        ws.merge_range(2, 7, 13, 7, "2007-03-05")  # one approval date for the batch
        if merged_amount:
            ws.merge_range(4, 6, 5, 6, 20.0)  # G5:G6
        wb.close()

    path = tmp_path / "roster.xlsx"
    roster(path, merged_amount=False)
    out = _ingest(catalogue_db, path)
    assert (out.status, out.report.rows, out.report.flatten()) == ("loaded", 12, [])
    assert [(i.code, i.row, i.column, i.value) for i in out.report.warnings] == [
        ("merged-cells-filled", 3, "township", "3")]
    with duckdb.connect(str(catalogue_db), read_only=True) as con:
        stored = con.execute("select row_no, township, approved_date from payment_rows order by row_no").fetchall()
    assert [(r, t) for r, t, _ in stored] == [(r, "城关镇" if r <= 8 else "石桥镇") for r in range(3, 15)]
    assert {str(d) for _, _, d in stored} == {"2007-03-05"}
    if reader is not None:
        assert reader == [True]

    again = tmp_path / "amount.xlsx"
    roster(again, merged_amount=True, who="李")  # not the rows loaded above
    out = _ingest(catalogue_db, again)
    assert out.report.flatten() == [[6, "amount", "missing-value"]]


def test_a_hidden_sheet_is_not_read_in_place_of_a_visible_roster_whose_header_has_a_mistake(
        catalogue_db: Path, tmp_path: Path) -> None:
    """A hidden older copy has the right header; the visible roster's has a typo. The roster is refused for
    its header, naming what it found: loading the hidden copy would store stale rows without a word."""
    from funds.idnumber import check_char

    path = tmp_path / "roster.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    old = wb.add_worksheet("模板")
    head = ["资金编码", "年度", "乡镇", "村", "姓名", "身份证号", "金额", "审批日期"]
    old.write_row(0, 0, head)
    old.write_row(1, 0, ["F01", 2007, "城关镇", "东村", "旧", "420102198001000012", 10.0, "2007-03-05"])
    old.hide()
    roster = wb.add_worksheet("明细")
    roster.write_row(0, 0, [h if h != "姓名" else "户主姓名X" for h in head])
    body = "42010219800100001"
    roster.write_row(1, 0, ["F01", 2007, "城关镇", "东村", "张三", body + check_char(body), 10.0, "2007-03-05"])
    roster.activate()
    wb.close()
    out = _ingest(catalogue_db, path)
    assert (out.status, out.report.flatten()) == ("rejected", [[1, "name", "missing-column"]])
    assert "户主姓名X" in out.report.errors[0].as_dict("en", "payments")["message"]


@pytest.mark.parametrize("reader", ["calamine", "fastexcel"], indirect=True)
def test_a_merged_cell_does_not_fill_blank_rows_or_a_note_merged_over_a_block(
        reader: list[bool] | None, catalogue_db: Path, tmp_path: Path) -> None:
    """A township merged down past the roster's last rows leaves the blank rows below blank, and a note
    merged over a block of rows and columns stays one note row: neither becomes rows of data."""
    from funds.idnumber import check_char

    path = tmp_path / "roster.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["乡镇", "村", "资金编码", "年度", "姓名", "身份证号", "金额", "审批日期"])
    for r in range(1, 6):
        body = f"420102198001{r:05d}"
        ws.write_row(r, 1, ["东村", "F01", 2007, f"张{r}", body + check_char(body), 10.0, "2007-03-05"])
    ws.merge_range(1, 0, 7, 0, "城关镇")  # A2:A8: rows 7 and 8 hold nothing else
    ws.merge_range(8, 0, 10, 7, "说明：本表由各村核对后报送")  # A9:H11
    wb.close()
    out = _ingest(catalogue_db, path)
    assert (out.status, out.report.rows, out.report.flatten()) == ("loaded", 5, [])
    assert [(i.code, i.row, i.column) for i in out.report.warnings] == [("merged-cells-filled", 2, "township")]


def test_a_sheet_part_outside_the_worksheets_folder_is_scanned_too(tmp_path: Path) -> None:
    """calamine reads a sheet wherever the workbook's relationship points: a far cell in xl/data/sheet1.xml
    is refused as it is in xl/worksheets/."""
    import zipfile

    plain = tmp_path / "plain.xlsx"
    _write(plain, [["F01"]])
    path = tmp_path / "moved.xlsx"
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            name = info.filename
            if name == "xl/worksheets/sheet1.xml":
                name, data = "xl/data/sheet1.xml", FAR
            elif name == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"worksheets/sheet1.xml", b"data/sheet1.xml")
            zout.writestr(name, data)
    with zipfile.ZipFile(path) as zf:
        assert read.sheet_parts(zf) == ["xl/data/sheet1.xml"]
    with pytest.raises(read.ReadProblem) as problem:
        read.head_rows(path)
    assert problem.value.code == "sheet-too-large"
