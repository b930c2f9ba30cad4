"""What a kiosk shows one household: every payment to a verified ID + name, all years."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from funds import db, idnumber, keys, money, names, readers, settings
from funds.errors import UsageError


def empty(problem: str | None = None) -> dict[str, Any]:
    """The answer for an unknown ID, a wrong name, or an ID that is not valid."""
    out: dict[str, Any] = {"found": False, "count": 0, "total_yuan": "0.00", "payments": [], "years": []}
    if problem:
        out["problem"] = problem
    return out


def lookup(con: duckdb.DuckDBPyConnection, key: bytes, id_text: str, name: str,
           today: dt.date | None = None) -> dict[str, Any]:
    """Look up a household; a wrong name for an existing ID answers exactly like an unknown ID."""
    problem = idnumber.problem(id_text or "")
    if problem or not (name or "").strip():
        return empty(problem or None)
    return lookup_hash(con, keys.id_hash(key, idnumber.normalise(id_text)), names.normalise(name), today)


def lookup_hash(con: duckdb.DuckDBPyConnection, id_hash: int, name: str,
                today: dt.date | None = None) -> dict[str, Any]:
    """The answer for a keyed ID hash and a normalised name: `lookup` once the ID number is checked."""
    live = _live_batches(con)
    rows = [r for r in _rows(con, id_hash, name) if (r["batch_id"],) in live]
    if not any(r["name_matches"] for r in rows):
        return empty()
    today = today or dt.date.today()
    catalogue = _fund_names(con)
    rows.sort(key=lambda r: (r["year"], r["approved_date"], r["fund_code"], r["batch_id"], r["row_no"]))
    payments = []
    per_year: dict[int, Decimal] = {}
    total = Decimal("0.00")
    for r in rows:
        fund = catalogue.get((r["year"], r["fund_code"]))
        total += r["amount"]
        per_year[r["year"]] = per_year.get(r["year"], Decimal("0.00")) + r["amount"]
        paid = r["paid_date"]
        payments.append({
            "fund_code": r["fund_code"], "fund_name": fund["fund_name"] if fund else r["fund_code"],
            "category": fund["category"] if fund else None, "year": r["year"], "amount_yuan": money.to_str(r["amount"]),
            "approved_date": r["approved_date"].isoformat(), "paid_date": paid.isoformat() if paid else None,
            "lag_days": (paid - r["approved_date"]).days if paid else None,  # calendar days
            "waiting_days": None if paid else (today - r["approved_date"]).days,
            "status": "paid" if paid else "unpaid",
            "township": r["township"], "village": r["village"],
        })
    return {
        "found": True, "count": len(payments), "total_yuan": money.to_str(total), "payments": payments,
        "years": [{"year": y, "count": sum(1 for p in payments if p["year"] == y), "total_yuan": money.to_str(t)}
                  for y, t in sorted(per_year.items())],
    }


def _live_batches(con: duckdb.DuckDBPyConnection) -> dict[tuple[Any, ...], dict[str, Any]]:
    return db.fetch_cached(con, "list_live_batches", ("batch_id",))


def _fund_names(con: duckdb.DuckDBPyConnection) -> dict[tuple[Any, ...], dict[str, Any]]:
    return db.fetch_cached(con, "list_fund_names", ("year", "fund_code"))


# what a lookup reads, by whether the snapshot is packed: the query that reads it in, and its columns
_WARM = {True: ("warm_lookup_packed", ["id_hash", "lookup_row"]),
         False: ("warm_lookup_columns", ["batch_id", "row_no", "year", "fund_code", "township", "village", "amount",
                                         "approved_date", "paid_date", "name", "id_hash"])}


def keep_warm() -> None:
    """For the app's server: as each snapshot opens, read what kiosk lookups read, on a thread of its own.

    Otherwise the first lookup to touch a block of id_hash or of the packed rows loads it from the
    file: on 10M rows that was ~0.25 ms more at p50 and ~2 ms more at p90 (1,000 random people,
    most of them the first in their block), and at 100M rows with a cold page cache p99 ~20 ms.
    Reading the two columns once takes ~0.6 s and keeps ~47 MB in memory per million payment rows,
    when they fit in `kiosk_warm_mb` (0 turns this off). The live batches and fund names are read too.
    """
    budget = warm_budget()
    readers.on_open(functools.partial(warm, budget=budget) if budget else None)


def warm_budget() -> int:
    """Bytes the lookup columns of a snapshot may take in memory (FUNDS_KIOSK_WARM_MB; auto: a quarter
    of this machine's memory; 0: none)."""
    value = settings.get("kiosk_warm_mb").strip()
    if value.lower() == "auto":
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 4
    try:
        return max(0, int(value)) * 1024 * 1024
    except ValueError:
        raise UsageError(
            f"FUNDS_KIOSK_WARM_MB 的值 {value!r} 无效：请填写兆字节数（如 4096）、auto 或 0。",
            f"FUNDS_KIOSK_WARM_MB is {value!r}: give megabytes (e.g. 4096), auto or 0.",
            f"FUNDS_KIOSK_WARM_MB 값 {value!r}이(가) 잘못되었습니다. 메가바이트 수(예: 4096), auto 또는 0을 입력하십시오.",
        ) from None


def warm(con: duckdb.DuckDBPyConnection, budget: int) -> None:
    """The facts each lookup asks for, and every block a lookup on the snapshot `con` reads when they
    fit in `budget` bytes (a province's may not: lookups then read them from the file as they go)."""
    _live_batches(con)
    _fund_names(con)
    query, columns = _WARM[_packed(con)]
    if db.fetch_dicts(con, "count_lookup_blocks", {"columns": columns})[0]["lookup_bytes"] <= budget:
        db.fetch_dicts(con, query)


def _rows(con: duckdb.DuckDBPyConnection, id_hash: int, name: str) -> list[dict[str, Any]]:
    """Every payment row of `id_hash`, every batch, with the columns a lookup shows and `name_matches`."""
    if not _packed(con):
        return db.fetch_dicts(con, "lookup_household", {"id_hash": id_hash, "name": name})
    out = []
    for (text,) in con.execute(db.query_text("lookup_household_packed"), {"id_hash": id_hash}).fetchall():
        batch_id, row_no, year, fund_code, township, village, amount, approved, paid, stored_name = json.loads(text)
        out.append({
            "batch_id": batch_id, "row_no": row_no, "year": year, "fund_code": fund_code, "township": township,
            "village": village, "amount": Decimal(amount), "approved_date": dt.date.fromisoformat(approved),
            "paid_date": dt.date.fromisoformat(paid) if paid is not None else None,
            "name_matches": stored_name == name,  # as `name = $name` in SQL: both are normalised text
        })
    return out


def _packed(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether every payment row of the snapshot `con` reads has its lookup_row (asked once per snapshot).

    Only a shared snapshot reader (`db.reading`) remembers the answer; any other connection reads
    the ten columns, as it would cost a scan to ask each time.
    """
    memo = readers.memo(con)
    if memo is None:
        return False
    if "packed" not in memo:
        try:
            memo["packed"] = db.fetch_dicts(con, "count_unpacked_payment_rows")[0]["unpacked_rows"] == 0
        except duckdb.BinderException:
            memo["packed"] = False  # a snapshot published before migration 0005: no such column
    packed: bool = memo["packed"]
    return packed


LOOKUP_MARGIN_MB = 256  # the lookups' own working memory, beside the columns the warm-up may hold


def _lookup_instance(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """DuckDB settings of the instance kiosk lookups read a snapshot on (`readers.point_config`).

    threads: one on a packed table, where a lookup reads one row group; otherwise DuckDB's default,
    as a lookup then reads a row group of each batch loaded since `funds optimize` (10M rows in 10
    batches: p50 2.1 ms on two threads, 2.8-3.0 ms on one).
    memory_limit: what the lookup columns may take (`warm_budget`, which the warm-up fills when they
    fit) and a margin, so that the lookups' instance does not claim DuckDB's default of 80% of the
    machine beside the auditors' instance, which keeps it.
    """
    config: dict[str, Any] = {"memory_limit": f"{warm_budget() // 2**20 + LOOKUP_MARGIN_MB}MiB"}
    if _packed(con):  # asked of the snapshot's shared connection, remembered for its lookups
        config["threads"] = 1
    return config


readers.point_config(_lookup_instance)


def lookup_path(path: Path, id_text: str, name: str) -> dict[str, Any]:
    """Look up against a database file (opened read-only) with its key."""
    key = keys.load(settings.secret_path(path))
    with db.reading(path) as con:  # one lookup: the lookups' own instance (readers) would cost a second open
        return lookup(con, key, id_text, name)


def describe(result: dict[str, Any], lang: str = "zh") -> str:
    """A lookup result as lines of text for the terminal."""
    if not result["found"]:
        return {"en": "No payments found for this ID number and name.",
                "ko": "이 주민번호와 이름으로 찾은 지급 내역이 없습니다."}.get(lang, "没有查到该身份证号和姓名的发放记录。")
    lines = []
    for p in result["payments"]:
        state = p["paid_date"] or {"en": "not yet paid", "ko": "미지급"}.get(lang, "尚未发放")
        lines.append(f"{p['year']}  {p['fund_name']:<12} {money.grouped(p['amount_yuan']):>12}  "
                     f"{p['approved_date']} → {state}")
    total = {"en": "Total", "ko": "합계"}.get(lang, "合计")
    lines.append(f"{total}: {result['count']} / {money.grouped(result['total_yuan'])}")
    return "\n".join(lines)
