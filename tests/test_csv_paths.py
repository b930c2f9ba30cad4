"""CSV uploads read by DuckDB's reader (fast path) and by the csv module (exact path) give the same rows.

Downstream every cell is trimmed of CELL_SPACE ('' and NULL alike) and rows with nothing left are
dropped, so the paths must agree on the non-blank rows, their `_row` numbers and the trimmed cells.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from funds import db
from funds.idnumber import check_char
from pipelines.ingest import ingest_file, open_for_ingest
from pipelines.normalise import install_macros
from pipelines.read import CELL_SPACE, CsvSource, ReadProblem

ROOT = Path(__file__).resolve().parent.parent
Row = tuple[object, ...]  # (_row, _first, col0, col1, ...) with cells trimmed, None as ''


@dataclass
class Paths:
    """What both readers made of one upload."""

    delimiter: str
    fast_taken: bool
    fast: list[Row] | None  # None when the fast path declined
    exact: list[Row] | None  # None when the csv module refused the file (ReadProblem)


def _visible(rows: list[Row]) -> list[Row]:
    """Rows as the pipeline sees them: cells trimmed, rows with nothing left dropped."""
    out = []
    for row in rows:
        cells = tuple(str(c or "").strip(CELL_SPACE) for c in row[1:])
        if any(cells):
            out.append((row[0], *cells))
    return out


def read_both(con: duckdb.DuckDBPyConnection, path: Path, header_index: int = 0,
              columns: dict[int, str] | None = None) -> Paths:
    """Run the fast and the exact path over one file (columns default to the header's width)."""
    source = CsvSource(path)
    try:
        if columns is None:
            head = source.head()
            width = max(len(head[header_index]) if len(head) > header_index else 0, 1)
            columns = {i: f"col{i}" for i in range(width)}
        names = [columns[i] for i in sorted(columns)]
        fast_taken = source._as_utf8(lambda: source._duckdb_read(con, header_index, columns))
        fast = None
        if fast_taken:
            cols = ", ".join(f'"{n}"' for n in names)
            fast = _visible(con.execute(f"select _row, _first, {cols} from raw order by _row").fetchall())
        try:
            batches = source._as_utf8(lambda: list(source._exact_batches(header_index, columns)))
        except ReadProblem:
            exact = None
        else:
            rows: list[Row] = []
            for batch in batches:
                data = batch.to_pydict()
                rows += [(data["_row"][i], data["_first"][i], *(data[n][i] for n in names))
                         for i in range(batch.num_rows)]
            exact = _visible(rows)
        return Paths(source.delimiter, fast_taken, fast, exact)
    finally:
        source.close()


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """One in-memory connection with the macros (the fast path's view uses filled())."""
    connection = duckdb.connect()
    install_macros(connection)
    yield connection
    connection.close()


def assert_agree(paths: Paths) -> None:
    """The fast path, when it kept its result, saw exactly what the csv module saw."""
    if paths.fast_taken:
        assert paths.exact is not None, "DuckDB read a file the csv module refuses"
        assert paths.fast == paths.exact


# ---------------------------------------------------------------- generated files

DELIMITERS = [",", ";", "\t"]
ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "utf-16"]
PADDING = st.sampled_from(["", " ", "  ", "\t", "\u3000", " \u3000"])
PLAIN = st.text(st.sampled_from(list("ab1.- 张三中文\u3000\xa0'")), max_size=5)
QUOTED_BODY = st.lists(st.sampled_from(list('ab1 张\u3000",;\t') + ["\n", "\r\n"]), max_size=6).map("".join)
CELL_CHARS = st.lists(st.sampled_from(list('ab1 .张三\u3000\xa0"\',;\t') + ["\n", "\r\n"]), max_size=6).map("".join)


@st.composite
def written_csv(draw: st.DrawFn) -> tuple[bytes, str, list[list[str]], list[int]]:
    """Well-formed CSV from csv.writer: (bytes, delimiter, rows written with the header, each row's record number)."""
    delim = draw(st.sampled_from(DELIMITERS))
    width = draw(st.integers(1, 4))
    header = [f"h{i}" for i in range(width)]
    body = draw(st.lists(st.lists(CELL_CHARS, min_size=0, max_size=width + 1), max_size=8))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    terminator = draw(st.sampled_from(["\n", "\r\n"]))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delim, quoting=quoting, lineterminator=terminator)
    lines = []
    for number, row in enumerate([header, *body], start=1):
        writer.writerow(row)
        lines.append(number)  # the row a spreadsheet shows: a cell's line breaks do not add rows
    text = out.getvalue()
    if draw(st.booleans()):
        text = text.rstrip("\r\n") if draw(st.booleans()) else text + terminator * draw(st.integers(1, 2))
    return text.encode(draw(st.sampled_from(ENCODINGS))), delim, [header, *body], lines


@st.composite
def hand_built_csv(draw: st.DrawFn) -> bytes:
    """Tricky text written by hand: stray and doubled quotes, spaces beside quotes, blank lines..."""
    delim = draw(st.sampled_from(DELIMITERS))
    width = draw(st.integers(1, 4))
    lines = [delim.join(f"h{i}" for i in range(width))]
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["row", "row", "row", "blank", "spaces"]))
        if kind == "blank":
            lines.append("")
        elif kind == "spaces":
            lines.append(draw(st.text(st.sampled_from([" ", "\t", "\u3000", "\xa0"]), min_size=1, max_size=3)))
        else:
            cells = draw(st.lists(_tricky_cell(delim), min_size=1, max_size=width + 2))
            lines.append(delim.join(cells))
    breaks = draw(st.lists(st.sampled_from(["\n", "\r\n"]), min_size=len(lines), max_size=len(lines)))
    text = "".join(line + brk for line, brk in zip(lines, breaks, strict=True))
    ending = draw(st.sampled_from(["keep", "strip", "extra"]))
    if ending == "strip":
        text = text.rstrip("\r\n")
    elif ending == "extra":
        text += draw(st.sampled_from(["\n", "\r\n", "\n\n", " \n"]))
    return text.encode(draw(st.sampled_from(ENCODINGS)))


def _tricky_cell(delim: str) -> st.SearchStrategy[str]:
    plain = PLAIN.filter(lambda s: delim not in s)
    quoted = st.builds(lambda before, body, after: f'{before}"{body.replace(chr(34), chr(34) * 2)}"{after}',
                       PADDING, QUOTED_BODY, PADDING)
    stray = st.sampled_from(['a"b', '"', '""', '"a"b', 'x""y', '"a" b', '"a" "b"', "'"])
    return st.one_of(plain, quoted, stray)


def _write(tmp_path: Path, data: bytes, name: str = "upload.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _expected(rows: list[list[str]], lines: list[int]) -> list[Row]:
    """What csv.writer was given, as the pipeline would see it: row number, trimmed _first and cells."""
    width = len(rows[0])
    out: list[Row] = []
    for row, line in zip(rows[1:], lines[1:], strict=True):
        padded = [*row, *[""] * width][:width]
        first = next((c for c in row[:3] if c.strip(CELL_SPACE)), "")
        cells = tuple(c.strip(CELL_SPACE) for c in [first, *padded])
        if any(cells):
            out.append((line, *cells))
    return out


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FAST
@given(upload=written_csv())
def test_well_formed_csv_reads_the_same_both_ways(con: duckdb.DuckDBPyConnection, tmp_path: Path,
                                                   upload: tuple[bytes, str, list[list[str]], list[int]]) -> None:
    """csv.writer output: both paths agree, and the csv module gives back what was written, on its lines."""
    data, delim, rows, lines = upload
    paths = read_both(con, _write(tmp_path, data))
    assert_agree(paths)
    if paths.delimiter == delim:  # cells full of another separator may win the sniffing: no round trip then
        assert paths.exact is not None
        assert paths.exact == _expected(rows, lines)


@FAST
@given(data=hand_built_csv())
@example(data=b'h0,h1\n1, "x" ,2\n')
@example(data=b'h0,h1\n"a\nb",1\n2,3\n')
@example(data=b'h0;h1\r\n\r\n \xe3\x80\x80\r\n"a""b" ;c\r\n')
@example(data=b'"h0"\n"";","\n')  # DuckDB's reader on one thread takes it; its quote marks are out of place
def test_tricky_csv_reads_the_same_both_ways(con: duckdb.DuckDBPyConnection, tmp_path: Path, data: bytes) -> None:
    """Hand-built text with stray quotes, blank lines and mixed line ends: the paths agree."""
    try:
        paths = read_both(con, _write(tmp_path, data))
    except ReadProblem:
        return  # refused before either path ran (e.g. the head is not CSV): nothing to compare
    assert_agree(paths)


# ---------------------------------------------------------------- named cases

def test_spaces_around_quotes_are_read_fast_and_trimmed(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    paths = read_both(con, _write(tmp_path, b'a,b,c\n1, "x" ,"y"  \n "z" , 2 ,3\n'))
    assert paths.fast_taken
    assert paths.fast == paths.exact == [(2, "1", "1", "x", "y"), (3, "z", "z", "2", "3")]


@pytest.mark.parametrize(("data", "cells"), [
    (b'a,b\n1,  "x"\n', ("1", "1", "x")),
    (b'a,b,c\n1,  "x,y",2\n', ("1", "1", "x,y", "2")),
    (b'a\n  ""\n', None),
    (b'a,b\n1,"x" "y"\n', ("1", "1", 'x "y"')),
], ids=["two-spaces-before-quote", "two-spaces-quoted-separator", "two-spaces-empty-quotes", "second-quoted-part"])
def test_spacing_duckdb_reads_differently_takes_the_exact_path(con: duckdb.DuckDBPyConnection, tmp_path: Path, data: bytes,
                           cells: tuple[str, ...] | None) -> None:
    """Two spaces before a quote, or a second quoted part: DuckDB would keep quote marks as text."""
    paths = read_both(con, _write(tmp_path, data))
    assert not paths.fast_taken
    assert paths.exact == ([(2, *cells)] if cells else [])


def test_doubled_and_stray_quotes(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    paths = read_both(con, _write(tmp_path, b'a,b\n"say ""hi""",a"b\n""," x""y"\n'))
    assert_agree(paths)
    assert paths.exact == [(2, 'say "hi"', 'say "hi"', 'a"b'), (3, 'x"y', "", 'x"y')]


def test_quoted_line_break_keeps_rows_numbered_as_a_spreadsheet_shows(con: duckdb.DuckDBPyConnection,
                                                                       tmp_path: Path) -> None:
    """A cell with a line break is one row in Excel/WPS: the rows are 2, 3, 4, not 3, 4, 5 (read fast)."""
    paths = read_both(con, _write(tmp_path, b'a,b\n"x\ny",1\n2,3\n4,5\n'))
    assert paths.fast_taken
    assert paths.fast == paths.exact
    assert [r[0] for r in paths.exact or []] == [2, 3, 4]
    assert [r[2:] for r in paths.exact or []] == [("x\ny", "1"), ("2", "3"), ("4", "5")]


def test_quoted_line_break_record_is_numbered_by_its_first_line(con: duckdb.DuckDBPyConnection,
                                                                  tmp_path: Path) -> None:
    paths = read_both(con, _write(tmp_path, b'a,b\n"x\ny",1\n2,3\n'))
    assert paths.exact is not None and paths.exact[0][0] == 2


@pytest.mark.parametrize("header", [b'"a\nA",b', b'title\n"a\nA",b'], ids=["in-header", "above-header"])
def test_quoted_line_break_in_header_keeps_header_out_of_data(con: duckdb.DuckDBPyConnection, tmp_path: Path,
                                                              header: bytes) -> None:
    path = _write(tmp_path, header + b"\n1,2\n3,4\n")
    source = CsvSource(path)
    index = next(i for i, r in enumerate(source.head()) if r and r[0] == "a\nA")
    source.close()
    paths = read_both(con, path, index, {0: "a", 1: "b"})
    assert [r[2:] for r in paths.exact or []] == [("1", "2"), ("3", "4")]


def test_blank_and_whitespace_lines_keep_row_numbers(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    blank = read_both(con, _write(tmp_path, b"a,b\n1,2\n\n3,4\n", "blank.csv"))
    spaces = read_both(con, _write(tmp_path, "a,b\n1,2\n \u3000\t\n3,4\n,\n".encode(), "spaces.csv"))
    assert blank.fast_taken and spaces.fast_taken  # DuckDB skips the empty line: the scan numbers the rows after it
    assert blank.fast == blank.exact == spaces.fast == spaces.exact == [(2, "1", "1", "2"), (4, "3", "3", "4")]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("text", [
    "title\n\na,b\n\n1,2\n\n\n\n3,4\n5,6\n\n合计,11\n\n\n",
    "a,b\n\n\n1,2\n3,4\n\n5,6\n",
    "\n\na,b\n1,2\n\n \n\n3,4",
], ids=["title-totals-and-trailing", "after-header", "leading-and-whitespace"])
def test_empty_lines_are_read_fast_and_counted_as_rows(con: duckdb.DuckDBPyConnection, tmp_path: Path, text: str,
                                                      newline: str) -> None:
    """Empty lines (a tolerated blank row) anywhere: DuckDB's reader still reads the file, and every row
    keeps the number a spreadsheet shows (a 1M-row roster with one empty line took 2.7x as long on the csv module)."""
    path = _write(tmp_path, text.replace("\n", newline).encode())
    source = CsvSource(path)
    index = next(i for i, r in enumerate(source.head()) if r == ["a", "b"])
    source.close()
    paths = read_both(con, path, index, {0: "a", 1: "b"})
    assert paths.fast_taken
    assert paths.fast == paths.exact
    numbers = [n for n, line in enumerate(text.split("\n"), start=1) if line.strip() and line[0].isdigit() or line.startswith("合计")]
    assert [r[0] for r in paths.fast or []] == numbers


@pytest.mark.parametrize(("data", "empty", "count"), [
    (b"a\n\nb\r\n\r\nc\n\n\n\r\nd\r\n\n", [1, 3, 5, 6, 7, 9], 9),  # "\r" alone is empty in CRLF text; 9 ends it
    (b'a,b\n"x\n\ny",1\n\n"p""\nq",2\nlast', [2], 5),  # breaks in quotes (one after a doubled quote) end nothing
    (b'\n"a\r\n",b\r\n\r\n', [0, 2], 2),
    (b'a,b\n1,x"y"\n', None, None),  # a quote mark inside a cell: no count, wherever the pieces split
    (b'a,b\n"x"y,1\n', None, None),  # text after a closing quote mark
], ids=["empty-lines", "quoted-breaks", "crlf-in-quotes", "quote-inside-a-cell", "text-after-a-quote"])
def test_the_scan_finds_records_across_pieces_of_any_size(data: bytes, empty: list[int] | None,
                                                          count: int | None) -> None:
    """Record ends and empty records split between two pieces of the file (the scan reads 16 MB at a
    time) are found once each; a line feed inside quotes ends no record; a quote mark where the csv
    module takes it for text stops the count."""
    from pipelines.read import _Records

    for size in range(1, len(data) + 1):
        records = _Records(",")
        for at in range(0, len(data), size):
            records.feed(data[at:at + size])
        assert records.empty == empty, size
        if count is not None:
            assert records.count() == count, size


def test_a_file_of_many_empty_lines_is_numbered_by_the_csv_module(con: duckdb.DuckDBPyConnection, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines import read

    monkeypatch.setattr(read, "MAX_EMPTY_LINES", 2)
    paths = read_both(con, _write(tmp_path, b"a,b\n\n1,2\n\n3,4\n\n5,6\n"))
    assert not paths.fast_taken
    assert [r[0] for r in paths.exact or []] == [3, 5, 7]


@pytest.mark.parametrize("ending", ["", "\n", "\n\n\n", "\n \n"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_line_ends_and_trailing_newlines(con: duckdb.DuckDBPyConnection, tmp_path: Path, newline: str,
                                         ending: str) -> None:
    text = newline.join(["a,b", "1,2", "3,4"]) + ending.replace("\n", newline)
    paths = read_both(con, _write(tmp_path, text.encode()))
    assert paths.fast_taken
    assert paths.fast == paths.exact == [(2, "1", "1", "2"), (3, "3", "3", "4")]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_quoted_line_breaks_beside_empty_lines_short_rows_and_a_totals_row_read_fast(
        con: duckdb.DuckDBPyConnection, tmp_path: Path, newline: str) -> None:
    """A 备注 cell with line breaks (Alt+Enter in Excel) no longer sends the file to the csv module: DuckDB
    reads it on one thread when it must pad a short row, and rows keep the numbers a spreadsheet shows."""
    text = ('title\n\na,b,c\n1,"see\n\nnote",x\n\n2,"a ""q""\nb"\n3\n"\n",4,y\n合计,10,\n\n'
            .replace("\n", newline))
    path = _write(tmp_path, text.encode())
    paths = read_both(con, path, 2, {0: "a", 1: "b", 2: "c"})
    assert paths.fast_taken
    assert paths.fast == paths.exact
    note = f"see{newline}{newline}note"
    assert paths.fast == [(4, "1", "1", note, "x"), (6, "2", "2", f'a "q"{newline}b', ""), (7, "3", "3", "", ""),
                          (8, "4", "", "4", "y"), (9, "合计", "合计", "10", "")]


def test_a_bom_before_a_quoted_header_keeps_a_quoted_line_break_fast(con: duckdb.DuckDBPyConnection,
                                                                      tmp_path: Path) -> None:
    """Excel's "CSV UTF-8" starts with a BOM: the quote mark after it still opens the header's first cell."""
    paths = read_both(con, _write(tmp_path, b'\xef\xbb\xbf"a","b"\n"x\ny","1"\n\n"2","3"\n'))
    assert paths.fast_taken
    assert paths.fast == paths.exact == [(2, "x\ny", "x\ny", "1"), (4, "2", "2", "3")]


@pytest.mark.parametrize(("data", "rows"), [
    (b'a,b\n"x\ny",1\n5" pipe,2\n3,4\n', [2, 3, 4]),
    (b'h0\n,"\na"\n\n,""";"\n",;"\n', [2, 3, 5]),  # ";"-separated: quote marks inside cells, counts that match
], ids=["inch-mark", "found-by-hypothesis"])
def test_stray_quote_marks_beside_line_breaks_take_the_exact_path(con: duckdb.DuckDBPyConnection, tmp_path: Path,
                                                                   data: bytes, rows: list[int]) -> None:
    """A quote mark inside an unquoted cell is text to the csv module: counting quote marks no longer
    tells where records end, so the fast path declines rather than guess the row numbers."""
    paths = read_both(con, _write(tmp_path, data))
    assert not paths.fast_taken
    assert [r[0] for r in paths.exact or []] == rows


def test_lone_carriage_return_takes_the_exact_path(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """A lone CR is the csv module's business; inside a quoted cell it adds no row."""
    paths = read_both(con, _write(tmp_path, b'a,b\n"x\ry",1\n2,3\n'))
    assert not paths.fast_taken
    assert paths.exact == [(2, "x\ry", "x\ry", "1"), (3, "2", "2", "3")]


def test_old_mac_line_ends_are_read(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """A file whose lines end in CR alone (old Mac exports) reads like any other."""
    paths = read_both(con, _write(tmp_path, b"a,b\r1,2\r3,4\r"))
    assert not paths.fast_taken
    assert paths.exact == [(2, "1", "1", "2"), (3, "3", "3", "4")]


def test_short_and_long_rows(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    paths = read_both(con, _write(tmp_path, b"a,b,c\n1\n1,2,3,4,5\n,,x\n"))
    assert_agree(paths)
    assert paths.exact == [(2, "1", "1", "", ""), (3, "1", "1", "2", "3"), (4, "x", "", "", "x")]


def test_row_longer_than_any_in_the_head_falls_back(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    data = b"a,b\n" + b"1,2\n" * 40 + b"5,6,7\n"
    paths = read_both(con, _write(tmp_path, data))
    assert not paths.fast_taken
    assert paths.exact is not None and paths.exact[-1] == (42, "5", "5", "6")


def test_cjk_and_full_width_spaces_are_trimmed(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    paths = read_both(con, _write(tmp_path, "姓名,金额\n\u3000张三\u3000,\xa0１２\xa0\n\u3000\"李 四\" ,5\n".encode()))
    assert_agree(paths)
    assert paths.exact == [(2, "张三", "张三", "１２"), (3, '"李 四"', '"李 四"', "5")]


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_separators(con: duckdb.DuckDBPyConnection, tmp_path: Path, delim: str) -> None:
    text = "\n".join(delim.join(r) for r in [["a", "b"], ["1", '"x y"'], ["中", "文"]]) + "\n"
    paths = read_both(con, _write(tmp_path, text.encode()))
    assert paths.delimiter == delim and paths.fast_taken
    assert paths.fast == paths.exact == [(2, "1", "1", "x y"), (3, "中", "中", "文")]


def test_tab_beside_quote_with_comma_takes_the_exact_path(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    paths = read_both(con, _write(tmp_path, b'a,b,c,d\n1,\t"x"\t,2,3\n'))
    assert paths.delimiter == "," and not paths.fast_taken
    assert paths.exact == [(2, "1", "1", '"x"', "2", "3")]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030", "utf-16"])
def test_encodings(con: duckdb.DuckDBPyConnection, tmp_path: Path, encoding: str) -> None:
    text = '姓名,乡镇\n张三, "城关镇" \n\n李四,东村\n'
    paths = read_both(con, _write(tmp_path, text.encode(encoding)))
    assert paths.exact == [(2, "张三", "张三", "城关镇"), (4, "李四", "李四", "东村")]
    clean = read_both(con, _write(tmp_path, text.replace("\n\n", "\n").encode(encoding), "clean.csv"))
    assert clean.fast_taken and clean.fast == clean.exact == [(2, "张三", "张三", "城关镇"), (3, "李四", "李四", "东村")]


def test_gbk_is_transcoded_to_a_temp_file_that_is_removed(tmp_path: Path) -> None:
    source = CsvSource(_write(tmp_path, "姓名,金额\n张三,1\n".encode("gbk")))
    temp = source.path
    assert source.encoding == "gbk/gb18030" and temp != tmp_path / "upload.csv" and temp.exists()
    source.close()
    assert not temp.exists()


# ---------------------------------------------------------------- through the whole pipeline

HEAD = "资金编码,年度,乡镇,村,姓名,身份证号,金额,审批日期,发放日期"


def _pid(n: int) -> str:
    body = f"420102198001{n:05d}"
    return body + check_char(body)


def _payment(n: int) -> str:
    return f"F01,2007,城关镇,东村,张{n},{_pid(n)},{n}0.50,2007-03-05,2007-03-08"


def _stored(tmp_path: Path, lines: list[str], tag: str) -> list[tuple[object, ...]]:
    """Ingest funds.csv and one payments file into a fresh database; the stored payments by row."""
    path = tmp_path / tag / "funds.duckdb"
    path.parent.mkdir()
    con, key = open_for_ingest(path)
    try:
        assert ingest_file(con, key, "funds", ROOT / "sample_data" / "funds.csv", "t").status == "loaded"
        upload = tmp_path / tag / "payments.csv"
        upload.write_text("\n".join(lines) + "\n", "utf-8")
        out = ingest_file(con, key, "payments", upload, "t")
        assert out.status == "loaded", out.report.flatten()
    finally:
        con.close()
    with db.reading(path) as reader:
        return reader.execute("select row_no, name, id_masked, amount, township, village from payments "
                              "order by row_no").fetchall()


CLEAN = [HEAD, *(_payment(n) for n in range(1, 6))]
SPACED = [*CLEAN[:2], CLEAN[2].replace("张2,", ' "张2" ,').replace("20.50,", ' "20.50"  ,').replace("城关镇", ' "城关镇"'),
          *CLEAN[3:]]
BROKEN = [*CLEAN[:2], CLEAN[2].replace("张2,", '"张\n2",'), *CLEAN[3:]]  # a name cell with Alt+Enter in Excel


def test_spaces_around_quotes_load_like_the_clean_file(tmp_path: Path) -> None:
    clean = _stored(tmp_path, CLEAN, "clean")
    assert clean[1][:4] == (3, "张2", _pid(2)[:6] + "********" + _pid(2)[14:], Decimal("20.50"))
    assert _stored(tmp_path, SPACED, "spaced") == clean


def test_two_spaces_before_a_quote_load_like_the_clean_file(tmp_path: Path) -> None:
    spaced = list(CLEAN)
    spaced[2] = spaced[2].replace("城关镇", '  "城关镇"')
    assert _stored(tmp_path, spaced, "spaced") == _stored(tmp_path, CLEAN, "clean")


def test_quoted_line_break_loads_the_clean_values_on_their_lines(tmp_path: Path) -> None:
    """The split name loads as the clean name, and every row keeps the number a spreadsheet shows."""
    clean, got = _stored(tmp_path, CLEAN, "clean"), _stored(tmp_path, BROKEN, "broken")
    assert got == clean


@pytest.mark.parametrize("lines", [CLEAN, SPACED, BROKEN], ids=["clean", "spaced", "line-break"])
def test_payments_files_take_the_fast_path(con: duckdb.DuckDBPyConnection, tmp_path: Path,
                                           lines: list[str]) -> None:
    """The clean, spaced and line-break files are all read by DuckDB; each sees 5 rows."""
    paths = read_both(con, _write(tmp_path, ("\n".join(lines) + "\n").encode()), 0, {i: f"col{i}" for i in range(9)})
    assert paths.fast_taken and len(paths.exact or []) == 5
    assert_agree(paths)
