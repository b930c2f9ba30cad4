"""Reading uploads as text cells: .xlsx/.xls through calamine, CSV in UTF-8/GBK/GB18030/UTF-16.

A source offers its first rows for header detection, then the data below the header as an
Arrow table of strings (canonical column names) with `_row`, the spreadsheet row number a
clerk sees, and `_first`, the text of the row's first cell (for totals rows).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from funds.errors import FundsError

HEAD_ROWS = 30
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

    def head(self) -> list[list[str]]:
        """The first rows as text cells, for finding the header."""

    def table(self, header_index: int, columns: dict[int, str], id_columns: set[str]) -> pa.Table:
        """The rows below the header as strings, named by canonical column, plus _row and _first."""


def open_source(path: Path, original_name: str | None = None) -> Source:
    """Open an upload by its file name's suffix (falling back to sniffing its first bytes)."""
    name = original_name or path.name
    suffix = Path(name).suffix.lower()
    check_size(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReadProblem("unreadable-file", str(exc.strerror or exc)) from None
    if not data.strip():
        raise ReadProblem("empty-file")
    is_zip, is_ole = data[:4] == b"PK\x03\x04", data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    if suffix in EXCEL_SUFFIXES or is_zip or is_ole:
        return ExcelSource(path)
    if suffix in CSV_SUFFIXES or suffix == "":
        return CsvSource(data)
    raise ReadProblem("unsupported-file-type", suffix)


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


class ExcelSource:
    """An .xlsx/.xls workbook (Excel or WPS): the first sheet that holds data."""

    encoding = None

    def __init__(self, path: Path) -> None:
        from python_calamine import CalamineWorkbook

        check_zip(path)
        try:
            wb = CalamineWorkbook.from_path(str(path))
            rows: list[list[Any]] = []
            for index in range(len(wb.sheet_names)):
                rows = wb.get_sheet_by_index(index).to_python(skip_empty_area=False)
                if any(any(c not in ("", None) for c in r) for r in rows[:HEAD_ROWS * 10]):
                    break
            wb.close()
        except Exception as exc:  # calamine raises many types for broken workbooks
            raise ReadProblem("unreadable-file", _short(exc)) from None
        if not any(any(c not in ("", None) for c in r) for r in rows):
            raise ReadProblem("empty-file")
        self.rows = rows

    def head(self) -> list[list[str]]:
        """The first rows as text."""
        return [[_excel_text(c, False) for c in r] for r in self.rows[:HEAD_ROWS]]

    def table(self, header_index: int, columns: dict[int, str], id_columns: set[str]) -> pa.Table:
        """The data rows as strings."""
        body = self.rows[header_index + 1:]
        out: dict[str, list[str]] = {}
        for idx, name in columns.items():
            keep = name in id_columns
            out[name] = [_excel_text(r[idx], keep) if idx < len(r) else "" for r in body]
        out["_first"] = [_first_text([_excel_text(c, False) for c in r[:FIRST_CELLS]]) for r in body]
        out["_row"] = list(range(header_index + 2, header_index + 2 + len(body)))  # type: ignore[arg-type]
        return pa.table(out)


def _first_text(cells: list[str]) -> str:
    """The first non-blank cell of a row, for spotting totals and note rows."""
    return next((c for c in cells if c and c.strip()), "")


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


# ---------------------------------------------------------------- CSV

_LINE_BREAK = re.compile(r"\r?\n")
_BLANK_LINE = re.compile(rb"(^|\n)[ \t]*\r?(\n|$)")


def decode(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes, detecting UTF-8 (with or without BOM), UTF-16 (BOM) or GB18030/GBK."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for enc in candidates:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            raise ReadProblem("unreadable-file", "binary content (NUL bytes)")
        return text, ("gbk/gb18030" if enc == "gb18030" else enc)
    raise ReadProblem("unreadable-file", "not text in UTF-8, GBK or GB18030")


_BOM = b"\xef\xbb\xbf"


def _utf8_body(data: bytes) -> bytes | None:
    """data without leading BOMs when decode() would take it as UTF-8 (valid, no NUL); else None."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        return None
    check = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), 1 << 24):  # validate in slices: no whole-file str
            check.decode(data[start:start + (1 << 24)])
        check.decode(b"", final=True)
    except UnicodeDecodeError:
        return None
    start = 0
    while data.startswith(_BOM, start):
        start += len(_BOM)
    return data[start:] if start else data


class CsvSource:
    """A CSV upload: encoding and separator are detected, never asked."""

    def __init__(self, data: bytes) -> None:
        # UTF-8 (most uploads) stays as bytes: no whole-file str (2-4 bytes a character) and no
        # re-encoding for Arrow; anything else is decoded exactly as decode() says.
        self._utf8 = _utf8_body(data)
        self._text: str | None = None
        if self._utf8 is not None:
            self.encoding = "utf-8-sig" if data.startswith(_BOM) else "utf-8"
            head_text = codecs.getincrementaldecoder("utf-8")().decode(self._utf8[:1 << 20])
        else:
            text, self.encoding = decode(data)
            self._text = head_text = text.lstrip("\ufeff")
        self._head_text = head_text[:262144]
        sample = _LINE_BREAK.split(self._head_text[:65536])[:HEAD_ROWS * 2]
        self.delimiter = _sniff_delimiter(sample)

    @property
    def text(self) -> str:
        """The whole file as text, without leading BOMs."""
        if self._text is None:
            assert self._utf8 is not None
            self._text = self._utf8.decode("utf-8")
        return self._text

    def head(self) -> list[list[str]]:
        """The first rows as text."""
        lines = _LINE_BREAK.split(self._head_text)[:HEAD_ROWS]
        try:
            return list(csv.reader(lines, delimiter=self.delimiter))
        except csv.Error as exc:
            raise ReadProblem("unreadable-file", _csv_problem(exc)) from None

    def table(self, header_index: int, columns: dict[int, str], id_columns: set[str]) -> pa.Table:
        """The data rows as strings: Arrow's multithreaded reader, or the csv module for irregular files."""
        try:
            try:
                return self._fast(header_index, columns)
            except _Irregular:
                return self._exact(header_index, columns)
        except csv.Error as exc:
            raise ReadProblem("unreadable-file", _csv_problem(exc)) from None

    def _fast(self, header_index: int, columns: dict[int, str]) -> pa.Table:
        raw = self._utf8 if self._utf8 is not None else self.text.encode("utf-8")
        lines_before = header_index + 1
        # line offset of the first data row; blank lines below it would shift row numbers
        pos = 0
        for _ in range(lines_before):
            pos = raw.find(b"\n", pos) + 1
            if pos == 0:
                return pa.table({**{n: pa.array([], pa.string()) for n in columns.values()},
                                 "_first": pa.array([], pa.string()), "_row": pa.array([], pa.int64())})
        end = len(raw)
        while end > pos and raw[end - 1] in b"\r\n":
            end -= 1
        body = memoryview(raw)[pos:]  # views, not copies of a file that may be 1 GB
        if _BLANK_LINE.search(body[:end - pos]):
            raise _Irregular  # blank lines would shift row numbers; the exact path counts them
        width = max(columns) + 1
        names = [f"c{i}" for i in range(width)]
        try:
            table = pacsv.read_csv(
                pa.BufferReader(pa.py_buffer(body)),
                read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
                parse_options=pacsv.ParseOptions(delimiter=self.delimiter, invalid_row_handler=_reject_row),
                convert_options=pacsv.ConvertOptions(
                    column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                    include_columns=names,
                ),
            )
        except (pa.ArrowInvalid, _Irregular):
            raise _Irregular from None
        out = {name: table.column(f"c{idx}") for idx, name in columns.items()}
        firsts = [table.column(f"c{i}") for i in range(min(FIRST_CELLS, width))]
        out["_first"] = pc.coalesce(*[pc.if_else(pc.equal(pc.utf8_trim_whitespace(c), ""), None, c) for c in firsts])
        start = header_index + 2
        out["_row"] = pa.array(range(start, start + table.num_rows), pa.int64())
        return pa.table(out)

    def _exact(self, header_index: int, columns: dict[int, str]) -> pa.Table:
        reader = csv.reader(io.StringIO(self.text), delimiter=self.delimiter)
        out: dict[str, list[Any]] = {n: [] for n in columns.values()}
        firsts: list[str] = []
        rows: list[int] = []
        for record in reader:
            line = reader.line_num
            if line <= header_index + 1 or not any(c.strip() for c in record):
                continue
            for idx, name in columns.items():
                out[name].append(record[idx] if idx < len(record) else "")
            firsts.append(_first_text(record[:FIRST_CELLS]))
            rows.append(line)
        return pa.table({**{k: pa.array(v, pa.string()) for k, v in out.items()},
                         "_first": pa.array(firsts, pa.string()), "_row": pa.array(rows, pa.int64())})


def _csv_problem(exc: csv.Error) -> str:
    if "field limit" in str(exc):
        return f"a cell is longer than {csv.field_size_limit()} characters (a stray quote mark, or not a table)"
    return _short(exc)


class _Irregular(Exception):
    """The fast CSV path cannot keep row numbers exact for this file."""


def _reject_row(row: Any) -> str:
    raise _Irregular


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


@dataclass
class ReadInfo:
    """What reading found, for the report: encoding and separator."""

    encoding: str | None
    delimiter: str | None
