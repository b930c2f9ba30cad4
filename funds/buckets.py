"""Lag buckets in days ("0-3,4-10,11+" by default, configurable) and counting days into them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from funds import settings
from funds.errors import UsageError


@dataclass(frozen=True)
class Bucket:
    """Days from `low` to `high` inclusive (high None = open ended), labelled as configured."""

    label: str
    low: int
    high: int | None

    def holds(self, days: int) -> bool:
        """True when a lag of `days` falls in this bucket."""
        return days >= self.low and (self.high is None or days <= self.high)


def parse(spec: str | None = None) -> list[Bucket]:
    """Buckets from a spec like "0-3,4-10,11+": contiguous from 0, the last open ended."""
    spec = spec or settings.get("lag_buckets")
    buckets: list[Bucket] = []
    expected_low = 0
    for part in [p.strip() for p in spec.split(",") if p.strip()]:
        m = re.fullmatch(r"(\d+)\s*-\s*(\d+)|(\d+)\s*\+", part)
        if not m:
            raise _bad(spec)
        low, high = (int(m.group(1)), int(m.group(2))) if m.group(1) else (int(m.group(3)), None)
        if low != expected_low or (high is not None and high < low):
            raise _bad(spec)
        buckets.append(Bucket(part.replace(" ", ""), low, high))
        if high is None:
            break
        expected_low = high + 1
    if not buckets or buckets[-1].high is not None:
        raise _bad(spec)
    return buckets


def _bad(spec: str) -> UsageError:
    return UsageError(
        f"分段“{spec}”无效。请写成 0-3,4-10,11+：从 0 开始连续，最后一段以 + 结尾。",
        f"Bucket spec \"{spec}\" is invalid. Write it like 0-3,4-10,11+: contiguous from 0, the last ending in +.",
        f"구간 \"{spec}\"이(가) 잘못되었습니다. 0-3,4-10,11+처럼 쓰십시오.",
    )


def count(day_counts: Iterable[tuple[int, int]], buckets: list[Bucket] | None = None) -> dict[str, int]:
    """Sum (days, n) pairs into buckets; negative lags (never valid) count in the first bucket."""
    buckets = buckets or parse()
    out = {b.label: 0 for b in buckets}
    for days, n in day_counts:
        for b in buckets:
            if b.holds(max(int(days), 0)):
                out[b.label] += int(n)
                break
    return out
