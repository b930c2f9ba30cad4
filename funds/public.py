"""What the public disclosure pages show: funds of a year, drill-down by place, village notices, projects, budgets.

Nothing here returns a full name or a full ID number: notice lines carry masked forms only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import duckdb

from funds import db, masking


def years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Years with a fund catalogue, newest first."""
    return [r["year"] for r in db.fetch_dicts(con, "list_years")]


def funds_of_year(con: duckdb.DuckDBPyConnection, year: int) -> list[dict[str, Any]]:
    """Each fund of `year`: code, name, category, department, households, payments, projects, amount (yuan)."""
    return db.fetch_dicts(con, "fund_totals", {"year": year})


def by_township(con: duckdb.DuckDBPyConnection, year: int, fund_code: str) -> list[dict[str, Any]]:
    """One fund by township: place, households, payments, projects, amount."""
    return db.fetch_dicts(con, "fund_places", {"year": year, "fund_code": fund_code, "township": ""})


def by_village(con: duckdb.DuckDBPyConnection, year: int, fund_code: str, township: str) -> list[dict[str, Any]]:
    """One fund in one township by village: place, households, payments, projects, amount."""
    if not township:
        return []
    return db.fetch_dicts(con, "fund_places", {"year": year, "fund_code": fund_code, "township": township})


def village_notice(con: duckdb.DuckDBPyConnection, year: int, township: str, village: str,
                   fund_code: str = "") -> list[dict[str, Any]]:
    """A village's public notice: masked name, masked ID, fund, amount, approved and paid dates."""
    rows = db.fetch_dicts(con, "list_village_notice", {"year": year, "township": township, "village": village,
                                                        "fund_code": fund_code})
    for r in rows:
        r["name_masked"] = masking.mask_name(r.pop("name"))
    return [{"name_masked": r["name_masked"], **{k: v for k, v in r.items() if k != "name_masked"}} for r in rows]


def projects(con: duckdb.DuckDBPyConnection, year: int) -> list[dict[str, Any]]:
    """Projects of `year` with amount, paid amount and progress (a Decimal share, 0..1)."""
    rows = db.fetch_dicts(con, "list_projects", {"year": year})
    for r in rows:
        r["progress"] = (Decimal(r["paid_amount"]) / r["amount"]).quantize(Decimal("0.0001")) if r["amount"] else Decimal(0)
    return rows


def budgets(con: duckdb.DuckDBPyConnection, year: int) -> list[dict[str, Any]]:
    """Department budget items of `year`: department, category, item, budget, actual (yuan)."""
    return db.fetch_dicts(con, "list_budgets", {"year": year})


def budgets_by_department(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Budget items summed per department (budget, actual; actual None counts as 0)."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        d = out.setdefault(r["department"], {"department": r["department"], "budget": Decimal("0.00"),
                                             "actual": Decimal("0.00")})
        d["budget"] += r["budget"]
        d["actual"] += r["actual"] or Decimal("0.00")
    return list(out.values())
