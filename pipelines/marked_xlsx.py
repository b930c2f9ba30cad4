"""The uploaded rows back as an XLSX with every bad cell marked (red, with the message as a comment).

Cells are always written as text; text that a spreadsheet could take for a formula
(starting with = + - @, tab or CR) is stored with Excel's quote prefix so it stays text.
"""

from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

import xlsxwriter

from pipelines.header import locate
from pipelines.read import open_source
from pipelines.report import Issue, Report, safe_value
from schemas.columns import ACCOUNT, ID, KINDS, Kind

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 50_000  # above this, only the rows with problems are written (Excel is slow with more)
_HEAD = {"zh": ("行号", "问题"), "en": ("Row", "Problems"), "ko": ("행", "문제")}


def risky(text: str) -> bool:
    """True when a spreadsheet could read this text as a formula."""
    return text.startswith(FORMULA_START)


def build(path: Path, report: Report, lang: str = "zh", original_name: str | None = None,
          max_rows: int = MAX_ROWS) -> bytes:
    """The workbook bytes: sheet 1 the uploaded rows (bad cells marked), sheet 2 every listed problem."""
    kind = KINDS[report.kind]
    source = open_source(path, original_name, kind=report.kind)  # the sheet the check read
    try:
        head = source.head()
        header = locate(kind, head)
        header_cells = head[header.index] if head else []
        columns = {i: header.columns.get(i, f"_c{i}") for i in range(len(header_cells))}
        column_of = {name: i for i, name in columns.items()}
        table = source.table(header.index, columns, {c.name for c in kind.columns if c.type == ID}) if columns else None
    finally:
        source.close()  # a GBK upload's transcoded copy is deleted now, not when the object is collected

    by_row: dict[int, list[Issue]] = defaultdict(list)
    for issue in report.issues:
        if issue.row is not None:
            by_row[issue.row].append(issue)

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    plain = book.add_format({"quote_prefix": True})
    bad = book.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006", "quote_prefix": True})
    warn = book.add_format({"bg_color": "#FFEB9C", "quote_prefix": True})
    bold = book.add_format({"bold": True, "bg_color": "#DDDDDD"})
    sheet = book.add_worksheet("data")
    row_title, problems_title = _HEAD.get(lang, _HEAD["zh"])
    sheet.write_string(0, 0, row_title, bold)
    for i, text in enumerate(header_cells):
        sheet.write_string(0, i + 1, str(text), bold)
    sheet.freeze_panes(1, 1)

    if table is not None and table.num_rows:
        data = {name: table.column(name).to_pylist() for name in columns.values()}
        rows = table.column("_row").to_pylist()
        keep = range(len(rows)) if len(rows) <= max_rows else [k for k, r in enumerate(rows) if r in by_row]
        out_row = 1
        for k in keep:
            sheet_row = rows[k]
            issues = by_row.get(sheet_row, [])
            cell_issues: dict[int, list[Issue]] = defaultdict(list)
            row_issues: list[Issue] = []
            for issue in issues:
                idx = column_of.get(issue.column or "")
                (cell_issues[idx] if idx is not None else row_issues).append(issue)
            _write(sheet, out_row, 0, str(sheet_row), row_issues, lang, report.kind, plain, bad, warn)
            for idx, name in columns.items():
                text = _shown(kind, name, data[name][k])
                _write(sheet, out_row, idx + 1, "" if text is None else str(text), cell_issues.get(idx, []),
                       lang, report.kind, plain, bad, warn)
            out_row += 1

    listing = book.add_worksheet(problems_title)
    for i, title in enumerate(("row", "column", "code", "message")):
        listing.write_string(0, i, title, bold)
    for n, issue in enumerate(report.errors + report.warnings, 1):
        listing.write_string(n, 0, "" if issue.row is None else str(issue.row), plain)
        listing.write_string(n, 1, issue.column or "", plain)
        listing.write_string(n, 2, issue.code, plain)
        listing.write_string(n, 3, issue.message(lang, report.kind), plain)
    listing.set_column(3, 3, 80)
    book.close()
    return out.getvalue()


def _shown(kind: Kind, name: str, value: str | None) -> str | None:
    """Raw ID and account numbers are never exported, even back to the clerk: masked like the report's values."""
    if value is None or name not in kind.names:
        return value
    col = kind.column(name)
    if col.type == ID:
        return safe_value(name, kind.name, value)
    if col.type == ACCOUNT:
        digits = value.strip()
        return "*" * max(len(digits) - 4, 0) + digits[-4:]
    return value


def _write(sheet, row: int, col: int, text: str, issues: list[Issue], lang: str, kind: str,  # type: ignore[no-untyped-def]
           plain, bad, warn) -> None:
    if not issues:
        sheet.write_string(row, col, text, plain if risky(text) else None)
        return
    is_error = any(i.severity == "error" for i in issues)
    sheet.write_string(row, col, text, bad if is_error else warn)
    sheet.write_comment(row, col, "\n".join(f"[{i.code}] {i.message(lang, kind)}" for i in issues),
                        {"x_scale": 3, "y_scale": 2})
