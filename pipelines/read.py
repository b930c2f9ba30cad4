"""Reading uploads as text cells: .xlsx/.xls through calamine (a big .xlsx's rows through fastexcel),
CSV in UTF-8/GBK/GB18030/UTF-16.

A source offers its first rows for header detection, then the data below the header as an
Arrow table of strings (canonical column names) with `_row`, the spreadsheet row number a
clerk sees, and `_first`, the text of the row's first cell (for totals rows).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gc
import io
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pyarrow as pa

from funds.errors import FundsError
from pipelines import transcode
from pipelines.transcode import CHUNK

HEAD_ROWS = 30
T = TypeVar("T")
FIRST_CELLS = 3  # a totals word (合计) may follow an empty 序号 cell: look at the first few cells
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}


class ReadProblem(FundsError):
    """The file cannot be read at all; `code` is the catalogue code (unreadable-file, empty-file...)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail, detail, detail)
        self.code = code
        self.detail = detail


class Source(Protocol):
    """A readable upload."""

    encoding: str | None
    filled: tuple[int, int, str] | None  # a workbook's cells merged down over rows, once `table` filled them

    def head(self) -> list[list[str]]:
        """The first rows as text cells, for finding the header."""

    def table(self, header_index: int, columns: dict[int, str], id_columns: set[str]) -> pa.Table:
        """The rows below the header as strings, named by canonical column, plus _row and _first."""

    def load(self, con: Any, header_index: int, columns: dict[int, str], id_columns: set[str]) -> None:
        """The same rows as temp table raw0 behind view raw, in the checking connection."""

    def close(self) -> None:
        """Let go of what the source holds on disk (a transcoded copy of the upload); idempotent."""


def open_source(path: Path, original_name: str | None = None, head_only: bool = False,
                kind: str | None = None) -> Source:
    """Open an upload by its file name's suffix (falling back to sniffing its first bytes).

    With `head_only` the source is good for `head()` alone: a CSV in GBK is not transcoded whole
    (see `head_rows`). Of a workbook's sheets the one read is the first whose header is of `kind`
    (of any kind when None), a visible one before a hidden one (`_choose_sheet`)."""
    name = original_name or path.name
    suffix = Path(name).suffix.lower()
    check_size(path)
    magic = _read_start(path)
    is_zip, is_ole = magic[:4] == b"PK\x03\x04", magic == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    if suffix in EXCEL_SUFFIXES or is_zip or is_ole:
        if not magic.strip() and not _has_text(path):
            raise ReadProblem("empty-file")  # nothing but whitespace, whatever its name says
        return ExcelSource(path, head_only, kind)
    if suffix in CSV_SUFFIXES or suffix == "":
        return CsvSource(path, head_only)
    raise ReadProblem("unsupported-file-type", suffix)


def head_rows(path: Path, original_name: str | None = None) -> list[list[str]]:
    """The first rows of an upload as text (to preview it and tell its kind), the rows `head()` of
    a full source gives. A CSV's first MB is decoded where it lies: a GBK file is not transcoded
    whole first (~0.5 s a million rows, paid again by the check). A workbook over HEAD_COPY_MB is
    read from a copy cut after its first rows (`head_copy`): calamine parses a sheet whole (~1.1 s
    for a 125k-row roster), which the check then paid again. Raises ReadProblem as `open_source` does."""
    source = open_source(path, original_name, head_only=True)  # the first sheet with a header of any kind
    try:
        return source.head()
    finally:
        source.close()




# ---------------------------------------------------------------- guards against hostile uploads

MAX_UNZIPPED_MB = 1024  # a workbook's parts may expand to at most this much (Excel's own sheets stay far below)
MAX_ZIP_RATIO = 200  # real sheet XML compresses 5-20x; a zip bomb 1000x
MAX_ZIP_ENTRIES = 10_000


def check_size(path: Path) -> None:
    """Refuse an upload over `upload_max_mb` before any of it is read."""
    from funds import settings

    limit = settings.get_int("upload_max_mb")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReadProblem("unreadable-file", str(exc.strerror or exc)) from None
    if size > limit * 1024 * 1024:
        raise ReadProblem("file-too-large", f"{size / 1024 / 1024:.1f} MB, limit {limit} MB")


def check_zip(path: Path) -> None:
    """Refuse a zip-based workbook whose directory declares a bomb, before calamine inflates anything."""
    import zipfile

    if not zipfile.is_zipfile(path):
        return  # .xls (OLE) or not a zip at all: calamine reports what it cannot read
    try:
        with zipfile.ZipFile(path) as zf:
            entries = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ReadProblem("unreadable-file", f"damaged workbook ({_short(exc)})") from None
    total = sum(e.file_size for e in entries)
    too_packed = [e for e in entries if e.file_size > (1 << 20) and e.file_size > MAX_ZIP_RATIO * max(e.compress_size, 1)]
    if len(entries) > MAX_ZIP_ENTRIES or total > MAX_UNZIPPED_MB * (1 << 20) or too_packed:
        raise ReadProblem("unreadable-file",
                          f"the workbook would expand to {total / (1 << 20):.0f} MB; it is damaged or not a real workbook")


def _is_sheet(name: str) -> bool:
    """Whether a part of an .xlsx zip is a worksheet's XML."""
    name = name.lower()
    return name.startswith("xl/worksheets/") and name.endswith(".xml") and "/_rels/" not in name


def _sheet_infos(zf: Any) -> list[Any]:
    """The worksheet parts of an open .xlsx: those in xl/worksheets/, and any other part the workbook's
    relationships name as a sheet (calamine reads a sheet wherever its relationship points)."""
    named = set(sheet_parts(zf))
    return [info for info in zf.infolist() if _is_sheet(info.filename) or info.filename in named]


def sheets_mb(path: Path) -> float:
    """The size of a workbook's worksheets once inflated, from its zip directory (nothing is inflated);
    0 for a file that is no zip, or whose directory cannot be read (its check reports it)."""
    import zipfile

    try:
        if not zipfile.is_zipfile(path):
            return 0.0
        with zipfile.ZipFile(path) as zf:
            return sum(i.file_size for i in _sheet_infos(zf)) / 2**20
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return 0.0


MAX_SHEET_CELLS = 30_000_000  # calamine and fastexcel build a sheet's used range whole, 32 bytes a cell (~1 GB)
EXTENT_SCAN_DEFAULT_MB = 16  # sheets whose XML is at most this big are scanned whole before a reader builds them
EXTENT_SCAN_MB = EXTENT_SCAN_DEFAULT_MB
_REF = 0x223D7220  # ' r="' read as a little-endian uint32
_AS_SPACE = bytes.maketrans(b"\t\n\r", b"   ")
_ANY_REF = re.compile(rb"(?:\s|(?<=[\"']))r\s*=\s*([\"'])([^\"']*)\1")  # r='A1', r = "A1", t="n"r="A1"
_ANY_PREFIX = re.compile(rb"<(/?)[^\s<>/:!?]*:")  # <x:c>, </x:row>, <:c>, <1:c>: as calamine reads them, <c>, </row>
_EMPTY_CELL = re.compile(rb"""<c r="[A-Za-z]{1,3}[1-9][0-9]{0,6}"(?: s=["'][0-9]{1,6}["'])?(?:/>|></c>)""")  # only formatted


def check_extent(xml: bytes) -> None:
    """Refuse worksheet XML whose used range would not fit in MAX_SHEET_CELLS, before a reader builds it.

    calamine (and fastexcel on it) allocates rows x columns of the range its cells span: a 2 KB sheet
    with cells in A1 and XFD1048576 asks for 550 GB, and the process aborts (calamine#693). The bound
    (`_extent`) is the largest row and column any reference names, wherever it is written, plus one
    row or column for each row or cell tag that has no reference of its own (a reader numbers those
    on from the last). An under-count aborts the process, so the XML is first read as leniently as
    calamine reads it (`_lenient`), and anything unusual counts against the sheet.

    Only cells with a value are built, and Excel keeps a blank cell for a border or a number format
    (`<c r="XFD1048576" s="3"/>`), which costs a reader nothing: a sheet over the bound whose every
    cell tag begins `<c r="` is measured again without the cells written exactly so (`_EMPTY_CELL`),
    and refused only if it is still too large.
    """
    if len(xml) < 8:
        return
    xml = _lenient(xml)
    rows, cols = _extent(xml)
    if rows * cols > MAX_SHEET_CELLS and _cells(xml) == xml.count(b'<c r="'):
        rows, cols = _extent(_EMPTY_CELL.sub(b"", xml), cells_only=True)
    if rows * cols > MAX_SHEET_CELLS:
        raise ReadProblem("sheet-too-large", f"{_column_name(min(cols, 16384 ** 2))}{min(rows, 10 ** 12)}")


def _lenient(xml: bytes) -> bytes:
    """Worksheet XML as `_extent` reads it: tabs and line breaks as spaces, every `r` attribute written
    ` r="..."`, no element prefixes."""
    import numpy as np

    xml = xml.translate(_AS_SPACE)  # a tab or line break between a tag's parts reads as a space
    a = np.concatenate([np.frombuffer(xml, np.uint8), np.zeros(4, np.uint8)])
    eq = np.flatnonzero(a == 61)  # each '=': an attribute written otherwise than name="value"?
    before, after = a[eq - 1], a[eq + 1]
    if ((before == 32) | (after == 32) | (after == 39)
            | ((before == 114) & ((a[eq - 2] == 34) | (a[eq - 2] == 39)))).any():
        xml = _ANY_REF.sub(rb' r="\2"', xml)
    colon = np.flatnonzero(a == 58)  # each ':': a prefixed cell or row (x:c, x:row)?
    one, two = a[colon + 1], a[colon + 2]
    if (((one == 99) & ((two == 32) | (two == 62) | (two == 47))) | ((one == 114) & (two == 111))).any():
        xml = _ANY_PREFIX.sub(rb"<\1", xml)
    return xml


def _cells(xml: bytes) -> int:
    return sum(xml.count(t) for t in (b"<c ", b"<c>", b"<c/"))


def _extent(xml: bytes, cells_only: bool = False) -> tuple[int, int]:
    """The rows and columns a reader's range could span (see check_extent), from lenient XML.

    `cells_only`: of XML whose every cell tag begins `<c r="`, the range its cells' references span
    (a row's own reference spans nothing without a cell, nor does any other element's)."""
    import numpy as np

    a = np.frombuffer(xml, np.uint8)
    padded = np.concatenate([a, np.zeros(16, np.uint8)])
    words = np.ndarray((len(a) - 3,), "<u4", xml, 0, (1,))  # the 4 bytes at each offset
    quotes = np.flatnonzero(a == 34)
    quotes = quotes[quotes >= 3]
    opening = np.flatnonzero(words[quotes - 3] == _REF)
    if cells_only:  # the references right after '<c'
        at = quotes[opening]
        opening = opening[(padded[np.maximum(at - 5, 0)] == 60) & (padded[np.maximum(at - 4, 0)] == 99)]
    start = quotes[opening] + 1
    end = quotes[np.minimum(opening + 1, len(quotes) - 1)]  # the next quote mark closes the reference
    letters = np.zeros(len(start), np.int64)
    run = np.ones(len(start), bool)
    for k in range(4):  # a column has at most 3 letters; a 4th makes it too wide anyway
        c = padded[start + k] & 0xDF  # either case
        run &= (c >= 65) & (c <= 90)
        letters += run
    digits = np.clip(end - start - letters, 0, None)
    rows = cols = 0
    if len(start):
        usual = int(digits.max()) <= 7  # no sheet has a row past 1,048,576; a reference's row has no leading zero
        for k in range(int(digits.max()) if usual else 0):
            c = padded[start + letters + k]
            usual = usual and bool(((k >= digits) | ((c >= 48) & (c <= 57) & ((k > 0) | (c > 48)))).all())
        rows = _numbers(padded, start + letters, digits, 10, 48, 0xFF) if usual else 10 ** 12
        cols = _numbers(padded, start, letters, 26, 64, 0xDF)
    if cells_only:
        return rows, cols
    tags_end = np.append(np.flatnonzero(a == 62), len(a))
    refs = quotes[opening] - 3  # the space before each r="

    def referenced(tags: Any) -> int:
        """How many of the tags starting at `tags` hold a reference before their first '>'."""
        if not len(tags) or not len(refs):
            return 0
        ends = tags_end[np.searchsorted(tags_end, tags)]
        first = np.searchsorted(refs, tags)
        return int(((first < len(refs)) & (refs[np.minimum(first, len(refs) - 1)] < ends)).sum())

    tags = np.flatnonzero(a == 60)  # each '<'
    one, two, three, four, five = (padded[tags + k] for k in (1, 2, 3, 4, 5))
    cell = (one == 99) & ((two == 32) | (two == 62) | (two == 47))  # '<c ', '<c>', '<c/'
    cell_tags = tags[cell & (two == 32)]
    row = (one == 114) & (two == 111) & (three == 119) & ((four == 32) | (four == 62) | (four == 47))
    row_tags = tags[row & (four == 32)]
    closes = (one == 47) & (two == 114) & (three == 111) & (four == 119) & (five == 62)  # '</row>'
    rows_written = max(int(row.sum()), int(closes.sum()))
    cols += int(cell.sum()) - referenced(cell_tags)
    rows += rows_written - referenced(row_tags)
    return rows, cols


def _numbers(padded: Any, at: Any, widths: Any, base: int, zero: int, mask: int) -> int:
    """The largest number written at offsets `at`, `widths` characters each (each `& mask`), in `base`
    from character `zero`: the largest of those written with the most characters."""
    import numpy as np

    widest = int(widths.max())
    at = at[widths == widest]
    value = np.zeros(len(at), np.int64)
    for k in range(widest):
        value = value * base + ((padded[at + k] & mask).astype(np.int64) - zero)
    return int(value.max())


def _column_name(number: int) -> str:
    """A column number as Excel names it (1 = A, 27 = AA)."""
    name = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name or "A"


def scan_every_sheet() -> None:
    """From now on this process scans every workbook's sheets whole before a reader builds them, however
    big (~0.7 s for a 48 MB roster): the app's server, where one upload must not stop every kiosk."""
    global EXTENT_SCAN_MB
    EXTENT_SCAN_MB = MAX_UNZIPPED_MB


def _check_sheets_extent(path: Path) -> set[str]:
    """check_extent of each worksheet of an .xlsx whose sheets' XML is small enough to scan at once; returns
    the worksheet parts it read that hold no error cell and no merged cell (`_sheet_notes` need not read
    them again)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            sheets = _sheet_infos(zf)
            # a workbook small enough to be parsed whole for its head has no cut head scanned instead
            if (sum(info.file_size for info in sheets) > EXTENT_SCAN_MB * 2**20
                    and path.stat().st_size > HEAD_COPY_MB * 2**20):
                return set()
            parts = [zf.read(info) for info in sheets]
    except Exception:  # noqa: BLE001 - no zip (.xls), or a damaged one: calamine says what it cannot read
        return set()
    for part in parts:
        check_extent(part)
    return {info.filename for info, part in zip(sheets, parts, strict=True)
            if not _may_hold_errors(part) and _MERGE_MARK not in part}


_ERROR_MARK = b't="e"'  # a cell holding an Excel error value (#N/A, #DIV/0!...)
_ERROR_QUOTED = b"t='e'"
_ERROR_MARKS = re.compile(re.escape(_ERROR_MARK) + b"|" + re.escape(_ERROR_QUOTED))
_MERGE_MARK = b"mergeCell"  # <mergeCells>, <mergeCell ref="A2:A9"/> (prefixed or not)
_MERGE_REF = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]*?\bref="([A-Z]{1,3})(\d{1,7}):([A-Z]{1,3})(\d{1,7})"')
_TAG_ATTRS = re.compile(rb"""([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_CELL_OPEN = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s")
_CELL_REF = re.compile(rb"^([A-Z]{1,3})(\d{1,7})$")
_CELL_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v(?:\s[^>]*)?>([^<]*)</|</(?:[A-Za-z_][\w.-]*:)?c>")


def _may_hold_errors(xml: bytes) -> bool:
    return _ERROR_MARK in xml or _ERROR_QUOTED in xml


def _attributes(tag: bytes) -> dict[bytes, bytes]:
    """The attributes of one start tag (either quote mark)."""
    return {name: double or single for name, double, single in _TAG_ATTRS.findall(tag)}


def sheet_parts(zf: Any) -> list[str]:
    """The part of each sheet of an open .xlsx in the workbook's order (calamine's sheet index); [] when
    the workbook part or its relationships cannot be read (then no sheet is known by its part)."""
    try:
        book, rels = zf.read("xl/workbook.xml"), zf.read("xl/_rels/workbook.xml.rels")
    except Exception:  # noqa: BLE001 - missing (.ods, .xlsb) or damaged: calamine says what it cannot read
        return []
    targets = {}
    for tag in re.findall(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship\s[^>]*>", rels):
        attrs = _attributes(tag)
        target = attrs.get(b"Target", b"").decode("utf-8", "replace")
        targets[attrs.get(b"Id")] = posixpath.normpath(target.lstrip("/") if target.startswith("/") else "xl/" + target)
    parts = []
    for tag in re.findall(rb"<(?:[A-Za-z_][\w.-]*:)?sheet\s[^>]*>", book):
        ids = [v for k, v in _attributes(tag).items() if k.endswith(b":id")]
        parts.append(targets.get(ids[0], "") if ids else "")
    return parts


def _column_number(letters: bytes) -> int:
    """A column's letters as a number (A = 1, AA = 27), the inverse of `_column_name`."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def error_cells(xml: bytes) -> dict[tuple[int, int], str]:
    """The Excel error values (#N/A, #DIV/0!...) of worksheet XML by (row, column), both from 0.

    calamine and fastexcel read an error cell as blank: a paid date that is a VLOOKUP's #N/A would pass
    for "not yet paid", and a required cell would be reported as empty. The text lets the check say
    what the clerk sees (normalise: excel_error). A cell written without a reference (rare writers,
    which compute no formulas) is not placed.
    """
    out: dict[tuple[int, int], str] = {}
    for mark in _ERROR_MARKS.finditer(xml):  # in the order written
        at = mark.start()
        start, end = xml.rfind(b"<", 0, at), xml.find(b">", at)
        if start >= 0 and end >= 0 and _CELL_OPEN.match(xml, start) and xml[end - 1:end] != b"/":
            ref = _CELL_REF.match(_attributes(xml[start:end]).get(b"r", b""))
            value = _CELL_VALUE.search(xml, end)
            if ref and value and value.group(1):
                out[(int(ref.group(2)) - 1, _column_number(ref.group(1)) - 1)] = \
                    value.group(1).decode("utf-8", "replace").strip()
    return out


def merged_ranges(xml: bytes) -> list[tuple[int, int, int, int]]:
    """The merged ranges of worksheet XML (after its cells) as (first row, first column, last row, last
    column), all from 0."""
    return [(int(r0) - 1, _column_number(c0) - 1, int(r1) - 1, _column_number(c1) - 1)
            for c0, r0, c1, r1 in _MERGE_REF.findall(xml, max(xml.rfind(b"sheetData>"), 0))]


SheetNotes = tuple[dict[tuple[int, int], str], list[tuple[int, int, int, int]]]  # error_cells, merged_ranges


def _sheet_notes(path: Path, index: int, plain: set[str]) -> SheetNotes:
    """`error_cells` and `merged_ranges` of sheet `index` of an .xlsx (none for any other workbook, or for a
    part the extent scan found `plain`)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            parts = sheet_parts(zf)
            part = parts[index] if index < len(parts) else ""
            if not part or part in plain or part not in zf.namelist():
                return {}, []
            xml = zf.read(part)
    except Exception:  # noqa: BLE001 - no zip (.xls, read by calamine alone), or a damaged one: calamine says
        return {}, []
    errors = error_cells(xml) if _may_hold_errors(xml) else {}
    return errors, (merged_ranges(xml) if _MERGE_MARK in xml else [])


# ---------------------------------------------------------------- Excel

def _excel_text(value: Any, keep_float_repr: bool) -> str:
    """One Excel cell as text. Numeric ID cells keep their float form so mangling is visible."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if keep_float_repr:
            return repr(value)
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(round(value, 8), "f").rstrip("0").rstrip(".")
    if isinstance(value, int):
        return repr(float(value)) if keep_float_repr else str(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (dt.time, dt.timedelta)):
        return str(value)
    return str(value)


def _plain_text(value: Any) -> str:
    return _excel_text(value, False)


def _float_text(value: float) -> str:
    if value.is_integer() and -1e15 < value < 1e15:
        return str(int(value))
    return _excel_text(value, False)


# the common cell types, formatted exactly as _excel_text does but without its chain of checks
_FAST_TEXT: dict[type, Callable[[Any], str]] = {
    float: _float_text, dt.date: dt.date.isoformat, dt.datetime: lambda v: v.date().isoformat(),
}


def _cell_text(c: Any) -> str:
    """A cell outside an ID column as text: text as it is, dates and floats by the fast formatters."""
    return c if c.__class__ is str else (_FAST_TEXT.get(c.__class__) or _plain_text)(c)


# cell types no two of which hold equal values (bool, int and float do: True == 1 == 1.0), and whose
# equal values format alike (0.0 and -0.0 are both "0"): a column of these can be formatted per distinct value
_DISTINCT_SAFE = {str, float, dt.date, dt.datetime}


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Millions of cell objects, none of them cyclic: the cycle collector would only rescan them over and over
    (a third of the time of reading a 200k-row sheet)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


_SHEET_DATA = re.compile(rb"<([A-Za-z_][\w.-]*:)?sheetData[\s/>]")
_WORKSHEET = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet[\s>]")
HEAD_COPY_MB = 2  # workbooks up to this size are parsed whole for their head: the copy would save little


def head_copy(path: Path, rows: int) -> io.BytesIO | None:
    """An .xlsx whose worksheets end after their first `rows` rows (all other parts as they are), for
    reading its head: calamine parses a sheet whole (~1.1 s for a 125k-row roster), even for a few rows.

    Each worksheet part is inflated only up to the end of its `rows`-th row, and closed there
    (`</sheetData></worksheet>`, in the prefix the part uses). What follows sheetData (merged cells,
    filters, page setup) is left out: no cell value lies there. None when the file is no zip, has no
    worksheet XML (.ods, .xlsb) or is small (parsing it whole is as quick), or when a sheet part does
    not look as expected; the caller then reads the workbook itself.
    """
    import zipfile

    if path.stat().st_size <= HEAD_COPY_MB * 1024 * 1024 or not zipfile.is_zipfile(path):
        return None
    out = io.BytesIO()
    with zipfile.ZipFile(path) as zf, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
        infos, sheets = zf.infolist(), {info.filename for info in _sheet_infos(zf)}
        if not sheets:
            return None  # no .xlsx (an .ods, an .xlsb): a copy would be the whole workbook
        for info in infos:
            if info.filename in sheets:
                part = _first_rows(zf, info, rows)
                if part is None:
                    return None
                check_extent(part)  # the first rows may still name far cells
            else:
                part = zf.read(info)
            copy.writestr(info.filename, part)
    out.seek(0)
    return out


def _first_rows(zf: Any, info: Any, rows: int) -> bytes | None:
    """A worksheet part cut after the end tag of its `rows`-th row and closed; the whole part when it
    has fewer rows; None when its root or sheetData element is not found in its first MB."""
    data = bytearray()
    with zf.open(info) as f:
        end = None
        while chunk := f.read(1 << 16):
            data += chunk
            if end is None:
                found = _SHEET_DATA.search(data)
                if found is None:
                    if len(data) > 1 << 20:
                        return None
                    continue
                prefix = found.group(1) or b""
                end, cut, start = b"</" + prefix + b"row>", 0, found.end()
            for _ in range(rows - cut):
                at = data.find(end, start)
                if at < 0:
                    break
                cut, start = cut + 1, at + len(end)
            if cut >= rows:
                root = _WORKSHEET.search(data)
                if root is None:
                    return None
                return bytes(data[:start]) + b"</" + prefix + b"sheetData></" + (root.group(1) or b"") + b"worksheet>"
    return bytes(data)


def _sheet_rows(wb: Any, first: int, head_only: bool, kind: str | None,
                index: int | None = None) -> tuple[int, list[list[Any]], list[tuple[int, int, int, int]]]:
    """The index, cells (only its `first` rows if `head_only`) and merged ranges (as `merged_ranges`; none
    if `head_only`) of sheet `index`, or when None of the sheet `_choose_sheet` picks; the workbook is
    closed after."""
    try:
        head = None
        if index is None:
            index, head = _choose_sheet(wb, first, kind)
        if head_only and head is not None:
            return index, head, []  # the rows the choice read
        sheet = wb.get_sheet_by_index(index)
        with _gc_paused():
            rows = sheet.to_python(skip_empty_area=False, nrows=first if head_only else None)
        merged = [] if head_only else [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []]
    finally:
        wb.close()
    return index, rows, merged


def _choose_sheet(wb: Any, first: int, kind: str | None) -> tuple[int, list[list[Any]] | None]:
    """The sheet to read: of those with a value in their `first` rows, a visible one before any hidden one
    (a WPS or Excel template keeps its drop-down lists on a hidden sheet, sometimes the first; a hidden
    sheet with the right header may be a stale copy, and must not be read in place of the visible roster
    whose header has a mistake: that one is then refused for its header), and of those the first whose
    header is of `kind` (any kind when None; `header.fits`), then the first. The last sheet when none
    has a value (the caller then finds the workbook empty). With the index, the `first` rows read of it
    (None for a workbook of one sheet, which is not read to be chosen)."""
    from python_calamine import SheetVisibleEnum

    from pipelines.header import fits

    count = len(wb.sheet_names)
    if count < 2:
        return 0, None
    shown = [m.visible == SheetVisibleEnum.Visible for m in wb.sheets_metadata]
    best: tuple[tuple[bool, bool], int, list[list[Any]]] | None = None
    rows: list[list[Any]] = []
    for index in range(count):
        with _gc_paused():
            rows = wb.get_sheet_by_index(index).to_python(skip_empty_area=False, nrows=first)
        if not _has_value(rows):
            continue
        rank = (not (index < len(shown) and shown[index]), not fits(_head_texts(rows), kind))
        if best is None or rank < best[0]:
            best = (rank, index, rows)
        if rank == (False, False):
            break  # a visible sheet with the header sought: no later one can do better
    return (best[1], best[2]) if best is not None else (count - 1, rows)


def _head_texts(rows: list[list[Any]]) -> list[list[str]]:
    """A sheet's first rows as text, for finding its header."""
    return [[_excel_text(c, False) for c in r] for r in rows[:HEAD_ROWS]]


def _has_value(rows: list[list[Any]]) -> bool:
    return any(any(c not in ("", None) for c in r) for r in rows)


class ExcelSource:
    """An .xlsx/.xls workbook (Excel or WPS): the first sheet that holds data.

    A big .xlsx is read twice over, each time at its fastest: its head from a copy cut after its
    first rows (`head_copy`), its body by fastexcel straight into typed Arrow columns (`_typed_table`),
    with no Python object per cell. Any other workbook, and any sheet whose columns fastexcel cannot
    type one way (a numeric cell among text ones, a time of day, a duration...), is parsed whole by
    python-calamine into cells (`rows`).
    """

    encoding = None

    def __init__(self, path: Path, head_only: bool = False, kind: str | None = None) -> None:
        from python_calamine import CalamineWorkbook

        check_zip(path)
        self.path, self._kind = path, kind
        self._rows: list[list[Any]] | None = None
        self._typed: tuple[Any, pa.Table | None] | None = None  # the last _typed_table: (its arguments, result)
        self._scanned = False  # check_extent has passed the sheets (or they are too big for it to scan)
        self._plain: set[str] = set()  # worksheet parts read by the scan that hold no error or merged cell
        self._notes: tuple[int, SheetNotes] | None = None  # (sheet index, _sheet_notes)
        self._merged: list[tuple[int, int, int, int]] = []  # calamine's merged ranges of the sheet parsed
        self.filled: tuple[int, int, str] | None = None  # merged cells filled: (how many, first row, its column)
        self._sheet, head, self._cut = 0, None, False
        first = HEAD_ROWS * 10  # a sheet with nothing in these rows is taken for empty
        try:
            copy = head_copy(path, first)
            if copy is not None:
                self._sheet, head, _ = _sheet_rows(CalamineWorkbook.from_filelike(copy), first, True, kind)
                self._cut = True
        except ReadProblem:
            raise  # a sheet too large to build: reading it whole would be worse
        except Exception:  # noqa: BLE001 - the workbook is read whole below, and judged by that
            head = None
        if head is None:
            head = self.rows if not head_only else self._parse(first)
        # a full read judges the whole sheet, as a parse of it whole always did (the head may be blank)
        if not _has_value(head) and (head_only or not self._cut or not _has_value(self.rows)):
            raise ReadProblem("empty-file")
        self._head = head[:first]

    def _parse(self, first: int | None = None) -> list[list[Any]]:
        """calamine's cells of the sheet (of its first `first` rows only, if given), whole workbook parsed."""
        from python_calamine import CalamineWorkbook

        self._scan()
        try:
            self._sheet, rows, merged = _sheet_rows(CalamineWorkbook.from_path(str(self.path)),
                                                    first or HEAD_ROWS * 10, first is not None, self._kind,
                                                    self._sheet if self._cut else None)
        except Exception as exc:  # calamine raises many types for broken workbooks
            raise ReadProblem("unreadable-file", _short(exc)) from None
        if first is None:
            self._merged = merged
        return rows

    def _scan(self) -> None:
        """_check_sheets_extent before the first reader builds a sheet; fastexcel's try and calamine after it
        read the same sheets."""
        if not self._scanned:
            self._plain = _check_sheets_extent(self.path)
            self._scanned = True

    def notes(self) -> SheetNotes:
        """The Excel error values (`error_cells`) and merged ranges of the sheet read, from its XML."""
        if self._notes is None or self._notes[0] != self._sheet:
            self._notes = (self._sheet, _sheet_notes(self.path, self._sheet, self._plain))
        return self._notes[1]

    def errors(self) -> dict[tuple[int, int], str]:
        """The Excel error values of the sheet read, by (row, column) from 0."""
        return self.notes()[0]

    @property
    def rows(self) -> list[list[Any]]:
        """Every row of the sheet as calamine's cells (parsed on first use)."""
        if self._rows is None:
            rows = self._parse()
            for (row, column), text in self.errors().items():  # calamine reads them as blank cells
                if row < len(rows) and column < len(rows[row]):
                    rows[row][column] = text
            self._rows = rows
        return self._rows

    def head(self) -> list[list[str]]:
        """The first rows as text."""
        return _head_texts(self._head)

    def close(self) -> None:
        """Drop the parsed cells; the workbook itself was closed once they were read."""
        self._rows = self._typed = None

    def load(self, con: Any, header_index: int, columns: dict[int, str], id_columns: set[str]) -> None:
        """Temp table raw0 + view raw: the data rows as text, with _first and _row."""
        load_arrow(con, [self.table(header_index, columns, id_columns)], columns)

    def table(self, header_index: int, columns: dict[int, str], id_columns: set[str]) -> pa.Table:
        """The data rows as strings (a column at a time: text cells pass through, others are formatted),
        merged cells filled down (`_fill_merged`)."""
        if self._cut and self._rows is None:
            typed = self._typed_table(header_index, columns, id_columns)
            if typed is not None:
                return self._fill_merged(typed, header_index, columns, self.notes()[1])
        with _gc_paused():
            table = self._table(header_index, columns, id_columns)
        return self._fill_merged(table, header_index, columns, self._merged)

    def _fill_merged(self, table: pa.Table, header_index: int, columns: dict[int, str],
                     merged: list[tuple[int, int, int, int]]) -> pa.Table:
        """`table` with each cell merged down over data rows (a township written once beside its villages'
        rows) filled into every row it covers, as the sheet shows it; `filled` says how many and where.

        Money and decimal columns are not filled: an amount merged over a household's rows is one amount,
        not one a row, and each row left blank is reported as such. A row that holds nothing else is not
        filled: a blank row stays blank, and a note merged over a block of rows stays one note row.
        A range across columns fills its first column, which holds its value.
        """
        from schemas.columns import DECIMAL, KINDS, MONEY

        numeric = {c.name for c in KINDS[self._kind].columns if c.type in (MONEY, DECIMAL)} if self._kind else set()
        spans: dict[str, list[tuple[int, int]]] = {}
        first: tuple[int, str] | None = None
        for r0, c0, r1, _ in sorted(merged):
            name = columns.get(c0)
            if r1 > r0 > header_index and name is not None and name not in numeric:
                spans.setdefault(name, []).append((r0 - header_index - 1, r1 - header_index - 1))
                first = first or (r0 + 1, name)  # the first row's leftmost (merged sorted by row, column)
        if not spans or first is None:
            return table
        import pyarrow.compute as pc

        height = table.num_rows
        counts = None  # each row's non-blank cells, over the columns read
        for n in dict.fromkeys(columns.values()):
            cells = pc.cast(pc.fill_null(pc.not_equal(table.column(n), ""), False), pa.int32())
            counts = cells if counts is None else pc.add(counts, cells)
        something = counts.to_pylist() if counts is not None else [0] * height
        for name, ranges in spans.items():
            values = table.column(name).to_pylist()
            for top, bottom in ranges:
                if top < height:
                    for i in range(top + 1, min(bottom, height - 1) + 1):
                        if something[i]:
                            values[i] = values[i] or values[top]
            table = table.set_column(table.schema.get_field_index(name), name, pa.array(values, pa.string()))
        self.filled = (sum(map(len, spans.values())), *first)
        return table

    def _typed_table(self, header_index: int, columns: dict[int, str], id_columns: set[str]) -> pa.Table | None:
        """The same table from fastexcel's typed columns (~2x calamine's parse and cell formatting, and
        no Python object per cell), or None when a column is not of one type it can keep apart.

        Every cell of a column is typed (strict, all rows sampled): a column mixing numbers and text
        makes fastexcel refuse, so a numeric cell in an ID column can never pass for typed digits.
        fastexcel reads an Excel error value as a blank: a sheet with one is calamine's, whose cells
        `rows` replaces with the errors' text. The sheet is searched for them (`errors`: its XML
        inflated, ~0.14 s for a 125k-row roster) on a second thread while fastexcel parses it.
        """
        asked = (header_index, dict(columns), set(id_columns))
        if self._typed is None or self._typed[0] != asked:
            self._scan()  # before fastexcel builds the range
            with ThreadPoolExecutor(1, thread_name_prefix="funds-errors") as pool:
                errors = pool.submit(self.errors)
                typed = _typed_table(self.path, self._sheet, header_index, columns, id_columns)
                self._typed = (asked, None if errors.result() else typed)
        return self._typed[1]

    def _table(self, header_index: int, columns: dict[int, str], id_columns: set[str]) -> pa.Table:
        body = self.rows[header_index + 1:]
        lengths = set(map(len, body))  # calamine's rows are rectangular: one length
        width, widest = min(lengths, default=0), max(lengths, default=0)
        # rectangular rows transpose at C speed; a ragged sheet is read a cell at a time
        transposed = list(zip(*body, strict=True)) if width == widest else None
        texts: dict[int, Sequence[str]] = {}

        def column(idx: int, keep_float: bool) -> Sequence[str]:
            if idx >= widest:
                return [""] * len(body)
            if transposed is not None:
                cells: Sequence[Any] = transposed[idx]
            else:
                cells = [r[idx] for r in body] if idx < width else [r[idx] if idx < len(r) else "" for r in body]
            classes = set(map(type, cells))
            if classes <= {str}:
                return cells
            if keep_float:
                return [c if c.__class__ is str else _excel_text(c, True) for c in cells]
            if classes <= _DISTINCT_SAFE:
                # a column repeats its amounts and dates: format each distinct value once
                # (these types never compare equal across types, so a set keeps them apart)
                text = {c: _cell_text(c) for c in set(cells)}
                return list(map(text.__getitem__, cells))
            return list(map(_cell_text, cells))

        out: dict[str, Sequence[Any]] = {}
        for idx, name in columns.items():
            out[name] = column(idx, name in id_columns)
            if name not in id_columns:
                texts[idx] = out[name]
        out["_first"] = _first_texts([texts[i] if i in texts else column(i, False) for i in range(FIRST_CELLS)])
        rows = pa.array(range(header_index + 2, header_index + 2 + len(body)), pa.int64())
        # typed arrays: letting Arrow infer the type of a list of str costs ~25x the conversion
        return pa.table({**{k: pa.array(v, pa.string()) for k, v in out.items()}, "_row": rows})


_EXCEL_EPOCH = dt.datetime(1900, 1, 1)  # calamine gives a time of day (not a date) for a date cell before it


def _typed_table(path: Path, sheet: int, header_index: int, columns: dict[int, str],
                 id_columns: set[str]) -> pa.Table | None:
    """ExcelSource.table from fastexcel's typed Arrow columns; None where only calamine's cells tell.
    The caller has checked the sheets' extent (ExcelSource._scan)."""
    import logging

    import fastexcel
    import pyarrow.compute as pc

    logging.getLogger("fastexcel").setLevel(logging.ERROR)  # its notes on column types are not the user's
    where: dict[int, str] = {}  # the sheet's column index -> fastexcel's name (relative to the used range)

    def keep(column: Any) -> bool:
        where[column.absolute_index] = column.name
        return True

    try:  # eager: one RecordBatch straight from the cells (a lazy sheet's to_arrow cost 0.15-0.3 s more at 200k rows)
        typed = fastexcel.read_excel(str(path)).load_sheet(
            sheet, header_row=None, skip_rows=header_index + 1, schema_sample_rows=None, dtype_coercion="strict",
            eager=True, use_columns=keep)
    except Exception:  # noqa: BLE001 - mixed types, or anything fastexcel cannot read: calamine decides
        return None
    height = typed.num_rows

    def text(idx: int, keep_float: bool) -> pa.Array | None:
        if idx not in where:
            return pa.array([""] * height, pa.string())  # a column outside the sheet's used range
        cells = typed.column(where[idx])
        if isinstance(cells, pa.ChunkedArray):
            cells = cells.combine_chunks()
        kind = cells.type
        if pa.types.is_null(kind):
            return pa.array([""] * height, pa.string())
        if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            return pc.fill_null(cells, "").cast(pa.string())
        if pa.types.is_float64(kind):
            form = repr if keep_float else _float_text
            return _by_value(cells, lambda values: pa.array([form(v) for v in values.to_pylist()], pa.string()))
        if pa.types.is_timestamp(kind) and kind.tz is None:
            earliest = pc.min(cells).as_py()
            if earliest is not None and earliest < _EXCEL_EPOCH:
                return None  # a time of day in a date cell: calamine's time text, not a date
            return _by_value(cells, lambda values: pc.strftime(values, "%Y-%m-%d"))
        if pa.types.is_boolean(kind):
            return pc.fill_null(pc.if_else(cells, "TRUE", "FALSE"), "")
        return None  # durations...: calamine formats them as it always has

    out: dict[str, pa.Array] = {}
    firsts: list[pa.Array] = []
    for idx, name in columns.items():
        column = text(idx, name in id_columns)
        if column is None:
            return None
        out[name] = column
    for idx in range(FIRST_CELLS):
        column = out[columns[idx]] if idx in columns and columns[idx] not in id_columns else text(idx, False)
        if column is None:
            return None
        firsts.append(column)
    out["_first"] = _first_arrow(firsts)
    out["_row"] = pa.array(range(header_index + 2, header_index + 2 + height), pa.int64())
    return pa.table(out)


def _by_value(cells: pa.Array, form: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """A column formatted once per distinct value (a roster repeats its amounts and dates), blanks as ""."""
    import pyarrow.compute as pc

    coded = pc.dictionary_encode(cells)
    return pc.fill_null(form(coded.dictionary).take(coded.indices), "")


def _first_arrow(columns: list[pa.Array]) -> pa.Array:
    """_first_texts over Arrow columns: each row's first cell that is not blank, as it is written."""
    import pyarrow.compute as pc

    first = pa.array([""] * len(columns[0]), pa.string())
    for column in reversed(columns):
        first = pc.if_else(pc.not_equal(pc.utf8_trim(column, CELL_SPACE), ""), column, first)
    return first


CELL_SPACE = " \t\n\r\u3000\xa0\ufeff"  # what SQL cell() trims: a cell of only these is empty


def _first_texts(columns: list[Sequence[str]]) -> list[str]:
    """_first_text of each row, given the first FIRST_CELLS columns as text."""
    a, b, c = columns
    space = CELL_SPACE
    return [x if x and x.strip(space) else y if y and y.strip(space) else z if z and z.strip(space) else ""
            for x, y, z in zip(a, b, c, strict=True)]


def _first_text(cells: Iterable[str]) -> str:
    """The first non-blank cell of a row, for spotting totals and note rows."""
    return next((c for c in cells if c and c.strip(CELL_SPACE)), "")


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


# ---------------------------------------------------------------- CSV

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_BOM = b"\xef\xbb\xbf"
NOT_TEXT = "not text in UTF-8, GBK or GB18030"
HEAD_BYTES = 1 << 20  # header detection and separator sniffing look at the first 1 MB
EXACT_BATCH = 100_000  # rows per Arrow batch on the csv-module path


def _candidates(start: bytes) -> list[str]:
    if start.startswith(_BOM):
        return ["utf-8-sig"]
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        return ["utf-16"]
    return ["utf-8", "gb18030"]


def _label(enc: str) -> str:
    return "gbk/gb18030" if enc == "gb18030" else enc


MAX_EMPTY_LINES = 100_000  # a file with more empty lines is numbered by the csv module
# DuckDB's refusal to pad short rows in parallel once a quoted cell spans lines: read it on one thread then
QUOTED_BREAKS_SERIAL = "null_padding in conjunction with quoted new lines"


@dataclass
class _Scan:
    """What one streaming pass over UTF-8 bytes found (for the fast path's row-number proof)."""

    newlines: int = 0  # b"\n" bytes
    lone_cr: bool = False  # a "\r" not followed by "\n" (old Mac line ends: the csv module's business)
    tab_quote: bool = False  # a tab beside a quote mark: DuckDB and the csv module may split it differently
    spaced_quote: bool = False  # '  "' or '" "': DuckDB keeps such quote marks as text, the csv module does not
    tail: bytes = b""  # the last two bytes so far
    trailing_newlines: int = 0  # line breaks after the last character that is not \r or \n

    def feed(self, chunk: bytes) -> None:
        """Account for the next piece of the file (each check is one C-speed pass: ~10 ms per 16 MB)."""
        if b"\x00" in chunk:
            raise ReadProblem("unreadable-file", "binary content (NUL bytes)")
        edge = self.tail + chunk[:2]  # a pattern (at most 3 bytes) straddling two pieces; no copy of the piece
        self.newlines += chunk.count(b"\n")
        if self.tail.endswith(b"\r") and not chunk.startswith(b"\n"):
            self.lone_cr = True  # the last piece ended in a CR that no LF follows
        if not self.lone_cr and b"\r" in chunk:
            crs = chunk.count(b"\r") - (1 if chunk.endswith(b"\r") else 0)  # the next piece may hold its \n
            self.lone_cr = crs > chunk.count(b"\r\n")
        if not self.tab_quote and (b"\t" in chunk or b"\t" in edge):
            self.tab_quote = any(p in edge or p in chunk for p in (b'\t"', b'"\t'))
        # a two-byte search is slow where quote marks are everywhere (~0.17 s per 120 MB): a space is looked for first
        if not self.spaced_quote and (b" " in chunk or b" " in edge) and (b' "' in chunk or b' "' in edge):
            self.spaced_quote = any(p in edge or p in chunk for p in (b'  "', b'" "'))
        body = chunk.rstrip(b"\r\n")
        if body:
            self.trailing_newlines = chunk[len(body):].count(b"\n")
        else:
            self.trailing_newlines += chunk.count(b"\n")
        self.tail = (self.tail + chunk[-2:])[-2:]

    def lines(self) -> int:
        """Physical lines up to the last one with content."""
        content_newlines = self.newlines - self.trailing_newlines
        return content_newlines + (1 if self.tail else 0)


class _Records:
    """Where the records of UTF-8 CSV text fed a piece at a time end, as the csv module splits them: at a
    line feed outside quotes (an even number of quote marks before it; a doubled quote adds two).

    `empty`: the indexes (from 0) of the empty records ("\n\n", or "\n\r\n" in CRLF text, outside
    quotes), None once there are more than MAX_EMPTY_LINES or when a quote mark stands where the csv
    module takes it for text (inside a cell, beside a space): counting quote marks would then misplace
    the records, and the csv module reads the file. `count()`: the records up to the last one with
    content. DuckDB's reader skips an empty record, where a spreadsheet (and the csv module) counts it
    as a row, and reads a quoted cell's line breaks as one row: the fast path numbers its rows from
    these (`_number_rows`). Looked for only when DuckDB read fewer rows than the file has lines, or read
    it on one thread (~0.4 s a million rows, every cell quoted).
    """

    def __init__(self, delimiter: str) -> None:
        import numpy as np

        self.empty: list[int] | None = []
        self.records = 0  # record ends so far
        self.last_content = -1  # index of the last record with content
        self.quotes = 0  # quote marks so far
        self.offset = 0  # bytes so far
        self.last_end = -1  # offset of the last record end
        self.last_byte = 0x0A  # the byte before this piece (the file starts as a line does)
        self.close_pending = False  # the last piece ended in a closing quote mark: the next byte must end its cell
        # a quote mark opens a quoted cell only at a cell's start, or as the second of a doubled pair;
        # one that closes a cell must be followed by the cell's end, or be the first of a pair
        self.opens_after = np.zeros(256, bool)
        self.opens_after[[ord(delimiter), 0x0A, 0x22]] = True
        self.closes_before = np.zeros(256, bool)
        self.closes_before[[ord(delimiter), 0x0A, 0x0D, 0x22]] = True

    def feed(self, chunk: bytes) -> None:
        import numpy as np

        if self.empty is None or not chunk:
            return
        data = np.frombuffer(chunk, np.uint8)
        if self.offset == 0 and chunk.startswith(_BOM):
            data = data[len(_BOM):]  # the BOM is no cell's content
            self.offset = len(_BOM)
            if not len(data):
                return
        if self.close_pending and not self.closes_before[data[0]]:
            self.empty = None
            return
        quotes = np.flatnonzero(data == 0x22)
        opening = quotes[self.quotes % 2::2]  # quote marks alternate: opening, closing (or a doubled pair)
        closing = quotes[1 - self.quotes % 2::2]
        if len(opening) and opening[0] == 0:
            if not self.opens_after[self.last_byte]:
                self.empty = None
                return
            opening = opening[1:]
        self.close_pending = bool(len(closing)) and closing[-1] == len(data) - 1
        if self.close_pending:
            closing = closing[:-1]  # the next piece's first byte says
        if not (self.opens_after[data[opening - 1]].all() and self.closes_before[data[closing + 1]].all()):
            self.empty = None
            return
        feeds = np.flatnonzero(data == 0x0A)
        ends = feeds[(np.searchsorted(quotes, feeds) + self.quotes) % 2 == 0]  # outside quotes
        if len(ends):
            since = ends - np.concatenate(([self.last_end - self.offset], ends[:-1]))  # bytes since the last end
            prior = np.where(ends > 0, data[np.maximum(ends - 1, 0)], self.last_byte)  # a CR of CRLF text
            empty = (since == 1) | ((since == 2) & (prior == 0x0D))
            if not empty.all():
                self.last_content = self.records + int(np.flatnonzero(~empty)[-1])
            self.empty += (np.flatnonzero(empty) + self.records).tolist()
            if len(self.empty) > MAX_EMPTY_LINES:
                self.empty = None
            self.records += len(ends)
            self.last_end = self.offset + int(ends[-1])
        self.quotes += len(quotes)
        self.offset += len(data)
        self.last_byte = int(data[-1])

    def count(self) -> int:
        """Records up to the last one with content (a last record without a line end counts)."""
        if self.offset - self.last_end > 1 and not (self.offset - self.last_end == 2 and self.last_byte == 0x0D):
            return self.records + 1
        return self.last_content + 1


Fed = TypeVar("Fed", _Scan, _Records)


class CsvSource:
    """A CSV upload: encoding and separator are detected, never asked.

    The file is streamed, never held whole. A UTF-8 file is read where it lies (DuckDB's
    reader and the csv module both refuse bytes that are not UTF-8, and the file is then
    transcoded after all); any other encoding is transcoded in 16 MB pieces to a private
    UTF-8 temp file first. Rows are read by DuckDB's parallel CSV reader when its row count
    proves the row numbers, else by Python's csv module.
    """

    filled = None  # no merged cells in a CSV

    def __init__(self, path: Path, head_only: bool = False) -> None:
        self._temp: Path | None = None
        self._head_lines: list[int] = []
        self._original = path
        start = _read_start(path, HEAD_BYTES)
        self._candidates = _candidates(start[:4])
        self.path, self.encoding = path, self._candidates[0]
        if not (self.encoding.startswith("utf-8") and _utf8_head(start)):
            if head_only:
                start = self._head_as_utf8(start)
                if not start.strip() and path.stat().st_size <= HEAD_BYTES:
                    raise ReadProblem("empty-file")  # the whole file decoded: nothing but whitespace
            else:
                self._to_utf8()
                start = _read_start(self.path, HEAD_BYTES)  # the head of the UTF-8 copy
        text = codecs.getincrementaldecoder("utf-8")().decode(start)
        self._head_text = text.lstrip("\ufeff")[:262144]
        if not self._head_text.strip() and not _has_text(self.path):
            raise ReadProblem("empty-file")
        sample = _LINE_BREAK.split(self._head_text[:65536])[:HEAD_ROWS * 2]
        self.delimiter = _sniff_delimiter(sample)

    def __del__(self) -> None:
        self.close()

    def close(self) -> None:
        """Remove the transcoded temp file, if any (it holds the upload's raw cells)."""
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)
            self._temp = None

    def _to_utf8(self) -> None:
        """Transcode the upload to a private UTF-8 temp file (0600), trying each candidate encoding in turn."""
        self.close()
        for enc in self._fallbacks():
            fd, name = tempfile.mkstemp(prefix="funds-upload-", suffix=".csv")
            out = Path(name)
            try:
                os.close(fd)
                _transcode(self._original, out, enc)
            except UnicodeDecodeError:
                out.unlink(missing_ok=True)
                continue
            except OSError as exc:
                out.unlink(missing_ok=True)
                raise ReadProblem("unreadable-file", str(exc.strerror or exc)) from None
            except BaseException:
                out.unlink(missing_ok=True)
                raise
            self._temp, self.path, self.encoding = out, out, _label(enc)
            return
        raise ReadProblem("unreadable-file", NOT_TEXT)

    def _fallbacks(self) -> list[str]:
        """The encodings to try when the file is not UTF-8, in order."""
        return [e for e in self._candidates if e != "utf-8"] or ["gb18030"]

    def _head_as_utf8(self, start: bytes) -> bytes:
        """The file's first bytes in UTF-8, read with the first candidate encoding that decodes
        them (a character cut at the end is left out), for a head-only source."""
        for enc in self._fallbacks():
            try:
                text = codecs.getincrementaldecoder(enc)().decode(start)
            except UnicodeDecodeError:
                continue
            self.encoding = _label(enc)
            return text.encode("utf-8")
        raise ReadProblem("unreadable-file", NOT_TEXT)

    def _stream(self, into: Fed) -> Fed:
        """Feed the (UTF-8) file to `into` a piece at a time; returns it."""
        try:
            with open(self.path, "rb") as f:
                while chunk := f.read(CHUNK):
                    into.feed(chunk)
        except OSError as exc:
            raise ReadProblem("unreadable-file", str(exc.strerror or exc)) from None
        return into

    def head(self) -> list[list[str]]:
        """The first rows (records: a quoted cell may span lines) as text."""
        rows: list[list[str]] = []
        self._head_lines = []
        reader = self._reader(io.StringIO(self._head_text, newline=""))
        try:
            for record in reader:
                rows.append(record)
                self._head_lines.append(reader.line_num)  # physical lines up to the end of this record
                if len(rows) >= HEAD_ROWS:
                    break
        except csv.Error as exc:
            raise ReadProblem("unreadable-file", _csv_problem(exc)) from None
        return rows

    def _reader(self, stream: Any) -> Any:
        # spaces before a quoted cell are skipped, as DuckDB's reader does (cells are trimmed later anyway)
        return csv.reader(stream, delimiter=self.delimiter, skipinitialspace=True)

    # ---- loading into DuckDB

    def load(self, con: Any, header_index: int, columns: dict[int, str], id_columns: set[str]) -> None:
        """Temp table raw0 + view raw: the data rows as text, by canonical column name, with _first and _row."""

        def read() -> None:
            if not self._duckdb_read(con, header_index, columns):
                self._exact_load(con, header_index, columns)

        self._as_utf8(read)

    def _as_utf8(self, action: Callable[[], T]) -> T:
        """Run a read; when the file turns out not to be UTF-8 below its first megabyte, transcode and rerun."""
        try:
            return action()
        except _NotUtf8:
            if self._temp is not None:
                raise ReadProblem("unreadable-file", NOT_TEXT) from None
        self._to_utf8()
        try:
            return action()
        except _NotUtf8:
            raise ReadProblem("unreadable-file", NOT_TEXT) from None

    def _duckdb_read(self, con: Any, header_index: int, columns: dict[int, str]) -> bool:
        """DuckDB's reader (parallel, no Python per row), kept only if its row count proves the row numbers.

        The line scan that proves them runs on a thread beside DuckDB's read (which releases the GIL).
        DuckDB's parallel reader refuses to pad short rows once a quoted cell spans lines; such a
        file is read again on one thread.
        """
        import duckdb

        head = self.head()
        if header_index >= len(self._head_lines):
            return False
        lines_before = self._head_lines[header_index]  # a quoted header cell may span lines
        width = max([max(columns) + 1, *(len(r) for r in head[header_index:])])
        spec = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
        with ThreadPoolExecutor(1, thread_name_prefix="funds-csv-scan") as pool:
            scanning = pool.submit(self._stream, _Scan())
            for parallel in (True, False):  # one thread when a quoted cell spans lines and a row is short
                try:
                    con.execute(
                        f"""create or replace temp table raw0 as select * from read_csv($path, header = false,
                            skip = $skip, all_varchar = true, auto_detect = false, delim = $delim, quote = '"',
                            escape = '"', null_padding = true, parallel = {parallel}, columns = {spec})""",
                        {"path": str(self.path), "skip": lines_before, "delim": self.delimiter},
                    )
                    failure = None
                    break
                except duckdb.Error as exc:
                    failure = exc
                    if QUOTED_BREAKS_SERIAL not in str(exc):
                        break
            try:
                scan = scanning.result()  # a NUL byte or an unreadable file is the answer, whatever DuckDB made of it
            except BaseException:
                drop_raw(con)
                raise
        expected = scan.lines() - lines_before
        if scan.lone_cr or scan.spaced_quote or (scan.tab_quote and self.delimiter != "\t") or expected <= 0:
            drop_raw(con)
            return False  # files where DuckDB and the csv module would read cells differently
        if failure is not None:
            drop_raw(con)
            if "not utf-8 encoded" in str(failure):
                raise _NotUtf8 from None
            return False  # ragged rows, stray quotes, very long lines: the csv module decides
        rows, empty = con.execute("select count(*) from raw0").fetchall()[0][0], []
        # DuckDB skips empty lines, and reads a cell's line breaks as one row; its reader on one thread
        # takes some stray quote marks that its parallel one refuses: the quote marks must then be in place
        if rows != expected or not parallel:
            records = self._stream(_Records(self.delimiter))
            kept = header_index + 1  # records up to the header's end (an empty line above it is one)
            total = records.count()
            empty = [i - kept for i in records.empty or () if kept <= i < total]
            if records.empty is None or rows != total - kept - len(empty):
                drop_raw(con)
                return False  # stray quote marks, or too many empty lines: row numbers would shift
        named = ", ".join(f'c{i} as "{name}"' for i, name in columns.items())
        first = ", ".join(f"case when filled(c{i}) then c{i} end" for i in range(min(FIRST_CELLS, width)))
        row = _number_rows(con, header_index + 2, empty)
        con.execute(f"create or replace temp view raw as select {named}, coalesce({first}) as _first, "
                    f"{row} as _row from raw0")
        return True

    def _exact_load(self, con: Any, header_index: int, columns: dict[int, str]) -> None:
        load_arrow(con, self._exact_batches(header_index, columns), columns)

    def table(self, header_index: int, columns: dict[int, str], id_columns: set[str]) -> pa.Table:
        """The data rows as one Arrow table of strings (for the marked copy of a rejected upload)."""
        batches = self._as_utf8(lambda: list(self._exact_batches(header_index, columns)))
        return pa.concat_tables(batches) if batches else _empty_table(columns)

    def _exact_batches(self, header_index: int, columns: dict[int, str]) -> Iterator[pa.Table]:
        """Python's csv module over the UTF-8 text, in batches: row numbers are physical lines, blank rows skipped."""
        try:
            with open(self.path, encoding="utf-8-sig", newline="") as f:
                reader = self._reader(f)
                out: dict[str, list[Any]] = {n: [] for n in columns.values()}
                firsts: list[str] = []
                rows: list[int] = []
                # a row's number is its record's ordinal, as Excel and WPS number it (a blank line is a
                # row; a cell with line breaks does not add rows), and the header is found the same way
                for line, record in enumerate(reader, start=1):
                    if line <= header_index + 1 or not any(c.strip(CELL_SPACE) for c in record):
                        continue
                    for idx, name in columns.items():
                        out[name].append(record[idx] if idx < len(record) else "")
                    firsts.append(_first_text(record[:FIRST_CELLS]))
                    rows.append(line)
                    if len(rows) >= EXACT_BATCH:
                        yield _batch(out, firsts, rows)
                        out, firsts, rows = {n: [] for n in columns.values()}, [], []
                if rows:
                    yield _batch(out, firsts, rows)
        except csv.Error as exc:
            raise ReadProblem("unreadable-file", _csv_problem(exc)) from None
        except UnicodeDecodeError:
            raise _NotUtf8 from None


def _number_rows(con: Any, first: int, empty: list[int]) -> str:
    """The expression of `_row` over raw0, whose rows are the records after the header but the empty ones
    (`empty`: their offsets from the first record after it, ascending); `first`: that record's row number.

    An empty line is a row in a spreadsheet, so each one numbers the rows after it one further: raw0
    gets a column `_row` (an as-of join on how many non-empty records come before each empty one,
    ~0.2 s a million rows), made only when the file has empty lines. A cell's line breaks add no row.
    """
    if not empty:
        return f"rowid + {first}"
    before = [offset - k for k, offset in enumerate(empty)]  # non-empty records before each empty one
    con.execute(f"""create or replace temp table raw0 as
        select r.*, r.rowid + {first} + coalesce(e.gaps, 0) as _row
        from raw0 r asof left join (
            select gap_after, max(gaps) as gaps  -- empty lines in a row have the same gap_after
            from (select unnest($before) as gap_after, unnest(range(1, len($before) + 1)) as gaps) group by gap_after) e
            on r.rowid >= e.gap_after""", {"before": before})
    return "_row"


class _NotUtf8(Exception):
    """The file stopped being UTF-8 below its first megabyte."""


def _utf8_head(start: bytes) -> bool:
    """True when the first bytes read as UTF-8 (a character cut at the end is fine) without NUL bytes."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(start)
    except UnicodeDecodeError:
        return False
    return b"\x00" not in start


def _batch(out: dict[str, list[Any]], firsts: list[str], rows: list[int]) -> pa.Table:
    return pa.table({**{k: pa.array(v, pa.string()) for k, v in out.items()},
                     "_first": pa.array(firsts, pa.string()), "_row": pa.array(rows, pa.int64())})


def _empty_table(columns: dict[int, str]) -> pa.Table:
    return pa.table({**{n: pa.array([], pa.string()) for n in columns.values()},
                     "_first": pa.array([], pa.string()), "_row": pa.array([], pa.int64())})


def load_arrow(con: Any, batches: Iterable[pa.Table], columns: dict[int, str]) -> None:
    """Temp table raw0 + view raw from Arrow batches (named columns, _first, _row)."""
    drop_raw(con)
    created = False
    for batch in batches:
        con.register("raw_batch", batch)
        try:
            con.execute("insert into raw0 select * from raw_batch" if created
                        else "create temp table raw0 as select * from raw_batch")
        finally:
            con.unregister("raw_batch")
        created = True
    if not created:
        load_arrow(con, [_empty_table(columns)], columns)
        return
    con.execute("create or replace temp view raw as select * from raw0")


def drop_raw(con: Any) -> None:
    """Drop the raw cells of an upload (view raw, table raw0)."""
    con.execute("drop view if exists temp.raw")
    con.execute("drop table if exists temp.raw0")


PARALLEL_TRANSCODE_BYTES = 32 << 20  # a GBK upload at least this big is transcoded in two halves at once


def _transcode(src: Path, dst: Path, enc: str) -> None:
    """Write `src` (in `enc`) to `dst` as UTF-8 without a BOM; raises UnicodeDecodeError or ReadProblem.

    A big GBK/GB18030 file is cut after a line feed (in GB18030 the byte 0x0A only ever means a
    line feed, never part of a character) and its second half transcoded by a child Python
    running pipelines/transcode.py at the same time: the codec holds the GIL, so two halves need
    two processes (~0.6 s of 1.2 s for a 1M-row file on two cores).
    """
    size = src.stat().st_size
    cut = _line_cut(src, size // 2) if enc == "gb18030" and size >= PARALLEL_TRANSCODE_BYTES else None
    child, rest = None, None
    if cut is not None:
        fd, name = tempfile.mkstemp(prefix="funds-upload-", suffix=".rest")  # 0600, as the copy itself
        os.close(fd)
        rest = Path(name)
        try:
            child = subprocess.Popen([sys.executable, "-I", "-S", transcode.__file__, str(src), str(cut),
                                      str(rest), enc], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        except OSError:
            child, cut = None, None  # no child processes here: one piece
    try:
        try:
            transcode.transcode_range(str(src), str(dst), enc, end=cut)
            code = child.wait() if child is not None else None
            if code == 2:
                raise UnicodeDecodeError(enc, b"", cut or 0, (cut or 0) + 1, "in the second half of the file")
            if code == 3:
                raise transcode.NulBytes
            if code:
                transcode.transcode_range(str(src), str(dst), enc)  # the child failed for its own reasons
            elif child is not None and rest is not None:
                with open(rest, "rb") as tail, open(dst, "ab") as out:
                    shutil.copyfileobj(tail, out, CHUNK)
        except transcode.NulBytes:
            raise ReadProblem("unreadable-file", "binary content (NUL bytes)") from None
    finally:
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
        if rest is not None:
            rest.unlink(missing_ok=True)


def _line_cut(path: Path, near: int) -> int | None:
    """The offset just after the first line feed at or after `near` (None: no line feed there)."""
    with open(path, "rb") as f:
        f.seek(near)
        block = f.read(1 << 20)
    at = block.find(b"\n")
    return None if at < 0 or near + at + 1 >= path.stat().st_size else near + at + 1


def _read_start(path: Path, size: int = 8) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(size)
    except OSError as exc:
        raise ReadProblem("unreadable-file", str(exc.strerror or exc)) from None


def _has_text(path: Path) -> bool:
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            if chunk.strip().strip(_BOM).strip():
                return True
    return False


def _csv_problem(exc: csv.Error) -> str:
    if "field limit" in str(exc):
        return f"a cell is longer than {csv.field_size_limit()} characters (a stray quote mark, or not a table)"
    return _short(exc)


def _sniff_delimiter(lines: list[str]) -> str:
    best, best_score = ",", 0
    for delim in (",", "\t", ";", "|"):
        try:
            widths = [len(r) for r in csv.reader(lines, delimiter=delim) if r]
        except csv.Error:
            continue  # e.g. a cell over the csv module's field limit: not this separator's table
        if not widths:
            continue
        top = max(widths)
        score = top * 1000 + sum(1 for w in widths if w == top)
        if top > 1 and score > best_score:
            best, best_score = delim, score
    return best
