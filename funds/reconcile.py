"""Reconciliation per fund and year: allocated vs paid (households and projects) vs disclosed, to the fen."""

from __future__ import annotations

from typing import Any

import duckdb

from funds import db, money

MONEY = ("allocated_yuan", "transferred_yuan", "household_yuan", "household_paid_yuan", "project_yuan",
         "project_paid_yuan", "disclosed_yuan", "paid_yuan", "allocated_minus_disclosed", "transferred_minus_paid",
         "disclosed_unpaid_yuan")


def table(con: duckdb.DuckDBPyConnection, year: int | None = None) -> list[dict[str, Any]]:
    """One row per fund and year; amounts as Decimal yuan; `balanced` when allocated equals disclosed."""
    out = db.fetch_dicts(con, "reconcile_funds", {"year": year})
    for r in out:
        for k in MONEY:
            r[k] = money.yuan(r[k])
        r["balanced"] = r["allocated_minus_disclosed"] == 0
    return out


def as_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with amounts as "1234.50" strings (never floats)."""
    return [{k: (money.to_str(v) if k in MONEY else v) for k, v in r.items()} for r in rows]


def drill(con: duckdb.DuckDBPyConnection, year: int, fund_code: str) -> dict[str, list[dict[str, Any]]]:
    """The rows behind one fund-year: transfers, household payments and projects."""
    params = {"year": year, "fund_code": fund_code}
    return {kind: [r for r in db.fetch_dicts(con, "list_lag_items", {"kind": kind, "year": year})
                   if r["fund_code"] == params["fund_code"]]
            for kind in ("allocations", "payments", "projects")}
