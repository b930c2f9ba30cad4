"""The audit log: every staff action (who, when, what), with details that never hold personal data."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import duckdb

from funds.db import fetch_dicts, query_text

# runs of 15-19 digits (ID or account numbers, phone numbers are shorter but masked too when 11 digits)
_LONG_DIGITS = re.compile(r"(?<!\d)(\d{6})\d{5,9}([\dXx]{4})(?!\d)")
_PHONE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")


def scrub(text: str) -> str:
    """Mask anything in a detail that looks like an ID, account or phone number (a safety net)."""
    text = _LONG_DIGITS.sub(lambda m: m.group(1) + "********" + m.group(2), text)
    return _PHONE.sub(lambda m: m.group(1) + "****" + m.group(2), text)


def record(con: duckdb.DuckDBPyConnection, user: str, action: str, detail: dict[str, Any] | str | None = None) -> None:
    """Append one entry; `detail` (a dict is stored as JSON) must name things, not people."""
    if isinstance(detail, dict):
        text: str | None = json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True)
    else:
        text = detail
    con.execute(query_text("insert_audit_entry"), {
        "now": datetime.now(), "user_name": user or "unknown", "action": action,
        "detail": scrub(text) if text is not None else None,
    })


def recent(con: duckdb.DuckDBPyConnection, limit: int = 200) -> list[dict[str, Any]]:
    """The newest entries first."""
    return fetch_dicts(con, "list_audit_log", {"limit": limit})
