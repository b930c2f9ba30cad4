"""Every raw ID and account number in sample_data/, for privacy scans of the database."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from python_calamine import CalamineWorkbook

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
_NUMBER = re.compile(r"\d{15,19}[0-9Xx]?")


def _texts() -> list[str]:
    out = []
    for path in SAMPLE.glob("*"):
        if path.suffix in (".csv", ".tsv"):
            data = path.read_bytes()
            for enc in ("utf-8-sig", "gbk"):
                try:
                    out.append(data.decode(enc))
                    break
                except UnicodeDecodeError:
                    continue
        elif path.suffix in (".xlsx", ".xls"):
            wb = CalamineWorkbook.from_path(str(path))
            rows = wb.get_sheet_by_index(0).to_python()
            buf = io.StringIO()
            csv.writer(buf).writerows(rows)
            out.append(buf.getvalue())
    return out


def all_raw_numbers() -> set[str]:
    """The ID numbers (as written and upper-cased, plus 18-digit forms of 15-digit ones) and account numbers."""
    from funds.idnumber import normalise

    found: set[str] = set()
    for text in _texts():
        for m in _NUMBER.findall(text):
            found.add(m.upper())
            if len(m) == 15:
                found.add(normalise(m))
    return found
