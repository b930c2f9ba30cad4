"""Downloads of what a public page shows: CSV and XLSX, with formula-like cells neutralised."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import xlsxwriter

# a cell that starts with one of these is run as a formula by Excel/WPS (CSV injection)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula, prefixed with ' so it stays text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(neutralise(value) if isinstance(value, str) else value)


def to_csv(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> bytes:
    """Rows as UTF-8 CSV with a BOM (Excel opens it as UTF-8); columns are (key, header) pairs."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([neutralise(h) for _, h in columns])
    for r in rows:
        writer.writerow([_text(r.get(k)) for k, _ in columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(rows: list[dict[str, Any]], columns: list[tuple[str, str]], sheet: str = "data") -> bytes:
    """Rows as an XLSX workbook; amounts as numbers with 2 decimals, text never run as a formula."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(sheet[:31])
    money_fmt = wb.add_format({"num_format": "#,##0.00"})
    head = wb.add_format({"bold": True})
    for c, (_, header) in enumerate(columns):
        ws.write_string(0, c, str(neutralise(header)), head)
        ws.set_column(c, c, max(10, len(header) * 2))
    for r_i, r in enumerate(rows, 1):
        for c, (k, _) in enumerate(columns):
            v = r.get(k)
            if v is None:
                continue
            if isinstance(v, Decimal):
                # xlsx stores numbers as doubles; amounts to the fen below 2^53 fen are exact there
                ws.write_number(r_i, c, float(v), money_fmt)
            elif isinstance(v, bool):
                ws.write_boolean(r_i, c, v)
            elif isinstance(v, int):
                ws.write_number(r_i, c, v)
            else:
                ws.write_string(r_i, c, _text(v))
    wb.close()
    return buf.getvalue()
