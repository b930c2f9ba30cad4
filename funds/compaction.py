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
          "按身份证号重排后每次查询只读一个或少数几个数据块。",
    "en": "Note: a kiosk lookup now reads {n} row groups (one per large batch), and lookups slow down as they add up. "
          "Run `funds optimize` at a quiet time: it re-sorts the payments by ID so a lookup reads one or a few.",
    "ko": "안내: 이제 조회 한 번에 데이터 블록 {n}개를 읽습니다(큰 배치마다 하나). 한가한 때 funds optimize를 "
          "실행하면 주민번호 순으로 다시 정렬되어 조회가 블록 한두 개만 읽습니다.",
}


MAX_RUNS = 4  # sorted runs a merge of recent batches may leave; more, and the whole table is rewritten
RECENT_SHARE = 0.25  # recent rows above this share of the table: the whole table is rewritten


def optimize(path: Path, full: bool = False) -> dict[str, Any]:
    """Sort payment_rows by id_hash in one transaction under the writer lock, then publish a snapshot.

    Ingest sorts each batch by itself, so a lookup reads one row group per batch. The first
    optimize (or `full`) rewrites the whole table as one sorted run: a lookup then reads one.
    Every row it writes gets its `lookup_row` (migration 0005), which a lookup reads instead of
    ten columns; a batch still without one is always rewritten.
    Later, when the batches loaded since are few (under RECENT_SHARE of the rows) and the table
    would keep at most MAX_RUNS runs, only those batches are merged into one new run (at 100M
    rows, minutes become seconds; a lookup reads a row group per run). Rows, batches and every
    result stay the same (checked before commit); superseded batches are kept, being history.
    Waits for a running ingest like any writer.
    """
    if not path.exists():
        db.connect(path, read_only=True)  # raises NotInitialised with what to do
    started = time.monotonic()
    with db.writing(path) as con:
        con.execute("begin transaction")
        try:
            before = db.fetch_dicts(con, "payment_rows_summary")[0]
            runs = _runs(con)
            recent = _recent(runs)
            merged = len(runs) - len(recent)  # runs left by earlier optimizes
            recent_rows = sum(rows for _, rows in recent)
            # batches without their lookup_row: loaded since, or sorted by a version before migration 0005
            unpacked = {r[0] for r in con.execute(
                "select distinct batch_id from payment_rows where lookup_row is null").fetchall()}
            in_recent = unpacked <= {b for batches, _ in recent for b in batches}
            if not full and not unpacked and (len(runs) <= 1 or (merged and len(recent) <= 1)):
                mode, rewritten, runs_after = "none", 0, len(runs)  # a lone batch is sorted already
            elif (full or not merged or not in_recent or merged + 1 > MAX_RUNS
                  or recent_rows > RECENT_SHARE * before["rows"]):
                mode, rewritten, runs_after = "full", before["rows"], min(1, len(runs))
                con.execute(db.query_text("sort_payment_rows"))
            else:
                mode, rewritten, runs_after = "recent", recent_rows, merged + 1
                con.execute("create temp table recent_batches as select unnest($b) as batch_id",
                            {"b": [b for batches, _ in recent for b in batches]})
                con.execute(db.query_text("merge_recent_payment_rows"))
            after = db.fetch_dicts(con, "payment_rows_summary")[0]
            if after != before:
                raise RuntimeError(f"payment_rows changed while sorting ({before} != {after})")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return {"payment_rows": after["rows"], "live_rows": after["live_rows"],
            "superseded_rows": after["superseded_rows"], "amount_yuan": money.to_str(after["amount"]),
            "mode": mode, "rows_rewritten": rewritten, "sorted_runs": runs_after,
            "seconds": round(time.monotonic() - started, 2), "file_bytes": path.stat().st_size}


def _runs(con: duckdb.DuckDBPyConnection) -> list[tuple[list[int], int]]:
    """payment_rows as sorted runs, in file order: (batch ids, rows) of each.

    A batch as loaded lies in the file by itself (its own run); a run made by `optimize`
    interleaves its batches, so their row-id spans overlap: runs are the groups of batches
    whose spans overlap.
    """
    runs: list[tuple[list[int], int]] = []
    end = -1
    for batch, first, last, rows in con.execute(
            "select batch_id, min(rowid), max(rowid), count(*) from payment_rows group by batch_id order by 2"
    ).fetchall():
        if runs and first <= end:
            batches, count = runs[-1]
            runs[-1] = ([*batches, batch], count + rows)
        else:
            runs.append(([batch], rows))
        end = max(end, last)
    return runs


def _recent(runs: list[tuple[list[int], int]]) -> list[tuple[list[int], int]]:
    """The trailing runs of one batch each: the batches loaded since the last optimize (all, if none ran)."""
    first = len(runs)
    while first > 0 and len(runs[first - 1][0]) == 1:
        first -= 1
    return runs[first:]


def lookup_fan_out(con: duckdb.DuckDBPyConnection) -> int | None:
    """How many row groups of payment_rows a kiosk lookup reads (None: DuckDB did not say).

    Each batch is loaded sorted by id_hash, so its row groups split the hash range between them
    and a lookup reads one row group per batch; after `optimize`, one in all. DuckDB's own
    profile of a lookup's scan says how many it read: three probes across the hash range and one
    hash the table holds, the most of them (~20 ms at 10M rows as loaded). A probe outside every
    row group's range reads none and DuckDB's profile then names no scan; a small county's few
    hashes can all lie between two fixed probes, so the held hash always counts (None: no rows).
    """
    held = [int(h) for (h,) in con.execute("select id_hash from payment_rows limit 1").fetchall()]
    most = None
    for probe in (1 << 126, 1 << 127, 3 << 126, *held):
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
