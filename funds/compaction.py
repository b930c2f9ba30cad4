"""`funds optimize`: rewrite payment_rows in id_hash order so each kiosk lookup reads one row group."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from funds import db, money, settings

_ADVICE = {
    "zh": "提示：现在每次查询要读 {n} 个数据块（每个大批次一个），查询会随之变慢。请在空闲时运行 funds optimize，"
          "按身份证号重排后每次查询只读一个数据块。",
    "en": "Note: a kiosk lookup now reads {n} row groups (one per large batch), and lookups slow down as they add up. "
          "Run `funds optimize` at a quiet time: it re-sorts the payments by ID so a lookup reads one.",
    "ko": "안내: 이제 조회 한 번에 데이터 블록 {n}개를 읽습니다(큰 배치마다 하나). 한가한 때 funds optimize를 "
          "실행하면 주민번호 순으로 다시 정렬되어 조회가 블록 하나만 읽습니다.",
}


def optimize(path: Path) -> dict[str, Any]:
    """Sort payment_rows by id_hash in one transaction under the writer lock, then publish a snapshot.

    Ingest sorts each batch by itself, so a lookup touches one row group per batch; after this it
    touches one in all. Rows, batches and every result stay the same (checked before commit);
    superseded batches are kept, being history. Waits for a running ingest like any writer.
    """
    if not path.exists():
        db.connect(path, read_only=True)  # raises NotInitialised with what to do
    started = time.monotonic()
    with db.writing(path) as con:
        con.execute("begin transaction")
        try:
            before = db.fetch_dicts(con, "payment_rows_summary")[0]
            con.execute(db.query_text("sort_payment_rows"))
            after = db.fetch_dicts(con, "payment_rows_summary")[0]
            if after != before:
                raise RuntimeError(f"payment_rows changed while sorting ({before} != {after})")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return {"payment_rows": after["rows"], "live_rows": after["live_rows"],
            "superseded_rows": after["superseded_rows"], "amount_yuan": money.to_str(after["amount"]),
            "seconds": round(time.monotonic() - started, 2), "file_bytes": path.stat().st_size}


def lookup_fan_out(con: duckdb.DuckDBPyConnection) -> int | None:
    """How many row groups of payment_rows a kiosk lookup reads (None: DuckDB did not say).

    Each batch is loaded sorted by id_hash, so its row groups split the hash range between them
    and a lookup reads one row group per batch; after `optimize`, one in all. DuckDB's own
    profile of a lookup's scan says how many it read: three probes across the hash range, the
    most of them (~20 ms at 10M rows as loaded).
    """
    most = None
    for probe in (1 << 126, 1 << 127, 3 << 126):
        plan = con.execute("explain (analyze, format json) select row_no from payment_rows "
                           "where id_hash = $h::uhugeint", {"h": probe}).fetchall()[0][1]
        for count in _values(json.loads(plan), "row_groups_scanned"):
            most = max(most or 0, int(count))
    return most


def _values(tree: Any, key: str) -> Iterator[Any]:
    """Every value of `key` in a JSON tree."""
    if isinstance(tree, dict):
        if key in tree:
            yield tree[key]
        for value in tree.values():
            yield from _values(value, key)
    elif isinstance(tree, list):
        for value in tree:
            yield from _values(value, key)


def advice(con: duckdb.DuckDBPyConnection, language: str) -> tuple[int | None, str | None]:
    """After a load: (row groups a lookup reads, the advice to run `optimize` when that has grown too many).

    Measuring never fails a load: a database error leaves (None, None).
    """
    try:
        fan_out = lookup_fan_out(con)
    except duckdb.Error:
        return None, None
    if fan_out is None or fan_out < settings.get_int("optimize_hint_row_groups"):
        return fan_out, None
    return fan_out, _ADVICE.get(language, _ADVICE["zh"]).format(n=fan_out)
