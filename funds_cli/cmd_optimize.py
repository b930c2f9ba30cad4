"""`funds optimize`: sort payment_rows by ID hash so kiosk lookups stay fast as batches pile up."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from funds import money, settings
from funds_cli import main


def _parsers(sub: Any, add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    sp = add("optimize", "rewrite payment rows in ID order for fast lookups (waits for a running ingest)")
    sp.add_argument("--full", action="store_true",
                    help="rewrite the whole table as one run, even when merging the recent batches would do")
    sp.add_argument("--json", action="store_true")


main.EXTRA_PARSERS.append(_parsers)


@main.command("optimize")
def optimize(args: argparse.Namespace) -> int:
    """Compact payment_rows in one transaction and publish a snapshot; lookups keep answering meanwhile."""
    from funds import compaction
    from funds_cli.commands import yield_cpu

    path = settings.db_path(args.db)
    yield_cpu()  # a batch job like an ingest: the kiosk served from this box goes first
    result = compaction.optimize(path, full=args.full)
    if args.json:
        main.emit(result)
        return 0
    done = {"full": "已全部按身份证排序 / all sorted by ID",
            "recent": f"{result['rows_rewritten']:,} 条新导入的记录已合并排序 / recent rows merged in ID order",
            "none": "无需重排 / already in order"}[result["mode"]]
    print(f"✔ {path}: {result['payment_rows']:,} 条发放记录 / payment rows, {done}; "
          f"{result['sorted_runs']} 段 / sorted runs ({result['superseded_rows']:,} superseded kept), "
          f"{money.grouped(result['amount_yuan'])} 元, {result['seconds']} s")
    return 0
