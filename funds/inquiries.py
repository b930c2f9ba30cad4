"""Inquiries (objections) from villagers: file, look up by ticket, list, reply, close, and per-township stats."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from funds import db, idnumber, keys
from funds.errors import FundsError

KINDS = ("not_paid", "wrong_amount", "other")
STATUSES = ("open", "answered", "closed")
# no 0/O, 1/I/L: a ticket read aloud or copied by hand should not be mistyped
TICKET_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
TICKET_LENGTH = 10
MAX_TEXT = 2000


def new_ticket() -> str:
    """A random ticket (10 characters from 31: about 49 bits, so tickets cannot be guessed)."""
    return "".join(secrets.choice(TICKET_ALPHABET) for _ in range(TICKET_LENGTH))


def normalise_ticket(text: str) -> str:
    """A ticket as typed (spaces, dashes, lower case) in its stored form."""
    return "".join(ch for ch in (text or "").upper() if ch.isalnum())


def _busy() -> FundsError:
    return FundsError("系统繁忙，请稍后再试。", "The system is busy. Please try again in a moment.",
                      "시스템이 바쁩니다. 잠시 후 다시 시도하십시오.")


@contextmanager
def writing(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A write (filing, replying, closing) that every reader sees as soon as it is done.

    db.writing publishes a new reader snapshot when the block ends: inquiries are rare (dozens
    a year), so a snapshot copy per change is cheap next to a kiosk showing a stale status.
    """
    try:
        with db.writing(path) as con:
            yield con
    except duckdb.ConnectionException:
        raise _busy() from None


@contextmanager
def reading(path: Path, reuse: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection on the published snapshot (never the main file, which an ingest may hold);
    `reuse` as in db.reading."""
    try:
        with db.reading(path, reuse) as con:
            yield con
    except duckdb.ConnectionException:
        raise _busy() from None


def _has_table(con: duckdb.DuckDBPyConnection) -> bool:
    # a database made before migration 0003 has no inquiries yet: read as empty rather than fail
    return bool(con.execute("select count(*) from duckdb_tables() where table_name = 'inquiries'").fetchone()[0])


def id_hash_for(key: bytes, id_text: str) -> int | None:
    """The keyed hash of a valid ID number (to link an inquiry to a lookup), else None."""
    if idnumber.problem(id_text or ""):
        return None
    return keys.id_hash(key, idnumber.normalise(id_text))


def file(con: duckdb.DuckDBPyConnection, kind: str, text: str, township: str | None = None,
         village: str | None = None, phone: str | None = None, id_hash: int | None = None,
         now: dt.datetime | None = None) -> str:
    """File an inquiry and return its ticket."""
    if kind not in KINDS:
        raise FundsError("请选择问题类型。", "Choose what the problem is.", "문제 유형을 선택하십시오.")
    text = (text or "").strip()[:MAX_TEXT]
    if kind == "other" and not text:
        raise FundsError("请写下问题内容。", "Please describe the problem.", "문제 내용을 적어 주십시오.")
    phone = "".join(ch for ch in (phone or "") if ch.isdigit() or ch in "+-") or None
    ticket = new_ticket()
    db.fetch_dicts(con, "insert_inquiry", {
        "ticket": ticket, "created_at": now or dt.datetime.now(), "township": township or None,
        "village": village or None, "kind": kind, "text": text, "phone": phone, "id_hash": id_hash})
    return ticket


def get(con: duckdb.DuckDBPyConnection, ticket: str) -> dict[str, Any] | None:
    """The public view of one inquiry (no phone, no ID hash), or None for an unknown ticket."""
    ticket = normalise_ticket(ticket)
    if len(ticket) != TICKET_LENGTH or not _has_table(con):
        return None
    rows = db.fetch_dicts(con, "get_inquiry", {"ticket": ticket})
    return rows[0] if rows else None


def list_inquiries(con: duckdb.DuckDBPyConnection, status: str = "open") -> list[dict[str, Any]]:
    """Inquiries for staff (with phone), newest first; status '' lists all."""
    if not _has_table(con):
        return []
    return db.fetch_dicts(con, "list_inquiries", {"status": status})


def list_open(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Open inquiries, newest first."""
    return list_inquiries(con, "open")


def reply(con: duckdb.DuckDBPyConnection, ticket: str, text: str, by: str, now: dt.datetime | None = None) -> bool:
    """Record a reply (status becomes answered); False when the ticket is unknown or closed."""
    text = (text or "").strip()[:MAX_TEXT]
    if not text:
        raise FundsError("回复内容不能为空。", "The reply is empty.", "답변 내용이 비어 있습니다.")
    rows = db.fetch_dicts(con, "reply_inquiry", {"ticket": normalise_ticket(ticket), "reply": text, "by": by,
                                                 "now": now or dt.datetime.now()})
    return bool(rows)


def close(con: duckdb.DuckDBPyConnection, ticket: str, now: dt.datetime | None = None) -> bool:
    """Close an inquiry; False when the ticket is unknown or already closed."""
    rows = db.fetch_dicts(con, "close_inquiry", {"ticket": normalise_ticket(ticket), "now": now or dt.datetime.now()})
    return bool(rows)


def stats(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Per township: filed, replied, reply_rate (0..1) and median_hours (None without replies)."""
    if not _has_table(con):
        return []
    out = []
    for r in db.fetch_dicts(con, "inquiry_stats"):
        r["reply_rate"] = r["replied"] / r["filed"] if r["filed"] else 0.0
        r["median_hours"] = None if r["median_hours"] is None else round(float(r["median_hours"]), 1)
        out.append(r)
    return out


def places(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Townships and their villages (for choosing where an inquiry without a lookup comes from)."""
    out: dict[str, list[str]] = {}
    for r in db.fetch_dicts(con, "list_places"):
        out.setdefault(r["township"], []).append(r["village"])
    return out
