"""Anomaly leads: payments a person should look at (never automatic cut-offs), and their reviews."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import duckdb

from funds import db, settings
from funds.errors import UsageError

CODES = ("duplicate-payment", "id-name-conflict", "id-two-villages", "amount-outlier", "after-death", "official",
         "after-year-end", "paid-before-approval")


def lead_key(code: str, fund_code: str, id_hash: int, grp: str) -> str:
    """A stable identifier of one lead, so a review survives re-runs (and new uploads of other rows)."""
    return hashlib.sha256(f"{code}|{fund_code}|{id_hash}|{grp}".encode()).hexdigest()[:20]


def _params(year: int | None) -> dict[str, Any]:
    return {"year": year, "factor": int(settings.get("lead_outlier_factor")),
            "min_rows": int(settings.get("lead_min_rows")),
            "village_min_rows": int(settings.get("lead_village_min_rows")),
            "grace": int(settings.get("lead_year_end_grace_days"))}


def _reviews(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    try:
        return {r["lead_key"]: r for r in db.fetch_dicts(con, "list_lead_reviews")}
    except duckdb.CatalogException:  # a database from before migration 0004: nothing reviewed yet
        return {}


def find(con: duckdb.DuckDBPyConnection, year: int | None = None) -> list[dict[str, Any]]:
    """Every lead, grouped by (code, fund, person, period): rows as [{batch_id, row_no}], review if any."""
    grouped: dict[tuple[str, str, int, str], dict[str, Any]] = {}
    for r in db.fetch_dicts(con, "list_leads", _params(year)):
        k = (r["code"], r["fund_code"], r["id_hash"], r["grp"])
        lead = grouped.get(k)
        if lead is None:
            lead = grouped[k] = {"code": r["code"], "fund_code": r["fund_code"], "id_masked": r["id_masked"],
                                 "year": r["year"], "rows": [], "detail": r["detail"],
                                 "lead_key": lead_key(*k)}
        lead["rows"].append({"batch_id": r["batch_id"], "row_no": r["row_no"]})
    reviews = _reviews(con)
    out = []
    for lead in grouped.values():
        rev = reviews.get(lead["lead_key"])
        lead["reviewed"] = rev is not None
        lead["review"] = ({"by": rev["reviewed_by"], "at": str(rev["reviewed_at"]), "note": rev["note"]}
                          if rev else None)
        out.append(lead)
    return out


def rows(con: duckdb.DuckDBPyConnection, lead: dict[str, Any]) -> list[dict[str, Any]]:
    """The payment rows behind one lead (masked ID, no raw personal numbers)."""
    refs = [f"{r['batch_id']}:{r['row_no']}" for r in lead["rows"]]
    return db.fetch_dicts(con, "list_payment_rows", {"refs": refs})


def review(con: duckdb.DuckDBPyConnection, key: str, code: str, user: str, note: str) -> None:
    """Mark a lead reviewed (or update its note); needs a writable connection."""
    if code not in CODES:
        raise UsageError(f"未知线索类型：{code}", f"Unknown lead code: {code}", f"알 수 없는 단서 코드: {code}")
    con.execute(db.query_text("upsert_lead_review"),
                {"key": key, "code": code, "user": user, "at": dt.datetime.now(), "note": note})


def unreview(con: duckdb.DuckDBPyConnection, key: str) -> None:
    """Withdraw a review, so the lead shows as open again."""
    con.execute(db.query_text("delete_lead_review"), {"key": key})
