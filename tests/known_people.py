"""Real people of a demo county (ID number, name, exact total), read back from the generated spreadsheets."""

from __future__ import annotations

import csv
import tempfile
from decimal import Decimal
from pathlib import Path


def people(households: int = 300, year: int = 2007, seed: int = 11) -> list[dict]:
    """Everyone paid in the demo county built with these arguments, with count and total (Decimal yuan)."""
    from pipelines import demo

    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = demo.write_files(Path(tmp), households, year, seed)
        for path in files.payments:
            with path.open(encoding="utf-8") as f:
                for row in csv.DictReader(f):
                    p = out.setdefault(row["身份证号"], {"id": row["身份证号"], "name": row["姓名"], "count": 0,
                                                      "total": Decimal("0.00"), "unpaid": 0})
                    p["count"] += 1
                    p["total"] += Decimal(row["金额"])
                    p["unpaid"] += row["发放日期"] == ""
    return sorted(out.values(), key=lambda p: (-p["count"], p["id"]))
