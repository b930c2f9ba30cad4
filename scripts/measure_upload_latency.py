"""Kiosk lookup latency while the staff upload page checks a large payments file in the background.

Usage: python scripts/measure_upload_latency.py [ROWS]   (default 500000)
Runs in one process as the app does: the check on a worker thread (pipelines.check_job),
lookups (db.reading + household.lookup, as the kiosk) on the main thread. Prints JSON.
"""

from __future__ import annotations

import csv
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from funds import db, household, keys, settings
from pipelines import check_job, demo
from pipelines.ingest import ingest_file, open_for_ingest


def _people(path: Path, n: int) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [(r["身份证号"], r["姓名"]) for r in rows[:: max(1, len(rows) // n)]][:n]


def _lookups(path: Path, key: bytes, people: list[tuple[str, str]], seconds: float | None = None,
             until=None) -> list[float]:  # type: ignore[no-untyped-def]
    out: list[float] = []
    i = 0
    start = time.monotonic()
    while True:
        id_text, name = people[i % len(people)]
        t0 = time.perf_counter()
        with db.reading(path) as con:
            result = household.lookup(con, key, id_text, name)
        out.append((time.perf_counter() - t0) * 1000)
        assert result["found"], result
        i += 1
        if seconds is not None and time.monotonic() - start >= seconds:
            return out
        if until is not None and until():
            return out
        time.sleep(0.05)  # a villager every 50 ms, not a tight loop


def _pct(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {"n": len(values), "p50_ms": round(statistics.median(values), 1),
            "p95_ms": round(values[int(0.95 * (len(values) - 1))], 1),
            "p99_ms": round(values[int(0.99 * (len(values) - 1))], 1), "max_ms": round(values[-1], 1)}


def main(rows: int = 500_000) -> dict:
    """Build a county, write a `rows`-row payments file, measure lookups before and during its check."""
    with tempfile.TemporaryDirectory(prefix="funds-latency-") as tmp:
        folder = Path(tmp)
        path = folder / "county.duckdb"
        base = demo.write_files(folder / "base", households=5000, year=2007, seed=21)
        con, key = open_for_ingest(path)
        try:
            for kind, f in [("funds", base.funds), *[("payments", p) for p in base.payments]]:
                assert ingest_file(con, key, kind, f, "bench").status == "loaded"
        finally:
            con.close()
        people = _people(base.payments[0], 200)
        households = max(100, int(rows / 3.7))
        big = demo.write_files(folder / "big", households=households, year=2007, seed=22).payments[0]
        big_rows = sum(1 for _ in big.open(encoding="utf-8")) - 1
        key = keys.load(settings.secret_path(path))
        idle = _lookups(path, key, people, seconds=10)
        job = check_job.start(path, "payments", big, big.name, "bench")
        busy = _lookups(path, key, people, until=lambda: job.done)
        assert job.error is None, job.error
        return {"file_rows": big_rows, "check_seconds": round(job.seconds, 1), "check_status": job.outcome.status,
                "lookups_idle": _pct(idle), "lookups_during_check": _pct(busy)}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 500_000), indent=2))
