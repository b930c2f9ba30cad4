"""Timing helpers: percentiles, best-of-n, peak RSS of this process."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable
from typing import Any


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of values."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    """p50/p95/p99/mean of a list of durations, in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": round(pct(ms, 50), 3), "p95_ms": round(pct(ms, 95), 3),
            "p99_ms": round(pct(ms, 99), 3), "mean_ms": round(statistics.fmean(ms), 3) if ms else None}


def best_of(n: int, fn: Callable[[], Any]) -> tuple[float, list[float]]:
    """Run fn n times; (best seconds, all seconds)."""
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), times


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, MiB.

    VmHWM (of this process image) rather than getrusage's ru_maxrss, which a child started
    by fork + exec inherits from a large parent.
    """
    try:
        for line in open("/proc/self/status", encoding="ascii"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
