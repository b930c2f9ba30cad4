"""The full county year: ~880k payments in 7 files plus the other sheets, ingested in load order."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import duckdb

from pipelines import demo
from pipelines.ingest import ingest_file, open_for_ingest

PAYMENT_FILES = 7  # as the model county publishes them: one roster per batch of funds


def county_files(folder: Path, payments: int, seed: int = 4) -> demo.DemoFiles:
    """A demo county with about `payments` payment rows split over PAYMENT_FILES CSVs (cached)."""
    done = folder / "done"
    if done.exists():
        return demo.DemoFiles(folder / "funds.csv", sorted(folder.glob("payments_*.csv")), folder / "allocations.csv",
                              folder / "projects.xlsx", folder / "budgets_gbk.csv")
    shutil.rmtree(folder, ignore_errors=True)
    households = max(100, int(payments / 3.8))
    files = demo.write_files(folder, households, 2007, seed, rows_per_file=payments // PAYMENT_FILES + 1)
    done.write_text("ok")
    return files


def full_year(work: Path, files: demo.DemoFiles) -> dict[str, Any]:
    """Every file of the county into a fresh database (funds catalogue first), timed end to end.

    Baseline: DuckDB's bare read_csv of every CSV of the same county into tables, no checks
    (its reader has no GBK: the GBK budget sheet, a few rows, is left out of the baseline).
    """
    db_path = work / "county.duckdb"
    for p in work.glob("county.duckdb*"):
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    order = [("funds", files.funds), *[("payments", p) for p in files.payments], ("allocations", files.allocations),
             ("projects", files.projects), ("budgets", files.budgets)]
    t = time.perf_counter()
    con, key = open_for_ingest(db_path)
    per_file = []
    try:
        for kind, path in order:
            s = time.perf_counter()
            out = ingest_file(con, key, kind, path, "bench")
            per_file.append({"file": path.name, "kind": kind, "status": out.status, "rows": out.report.rows,
                             "seconds": round(time.perf_counter() - s, 3)})
    finally:
        con.close()
    seconds = time.perf_counter() - t
    bare_path = work / "county_bare.duckdb"
    bare_path.unlink(missing_ok=True)
    b = time.perf_counter()
    bare = duckdb.connect(str(bare_path))
    for i, (_, path) in enumerate(order):
        if path.suffix == ".csv" and "gbk" not in path.name:
            bare.execute(f"create table t{i} as select * from read_csv($p)", {"p": str(path)})
    bare.close()
    bare_seconds = time.perf_counter() - b
    bare_path.unlink(missing_ok=True)
    payments = sum(f["rows"] for f in per_file if f["kind"] == "payments")
    return {"files": len(order), "payment_rows": payments, "seconds": round(seconds, 2),
            "all_loaded": all(f["status"] == "loaded" for f in per_file),
            "bare_read_csv_seconds": round(bare_seconds, 2), "ratio_to_bare_read_csv": round(seconds / bare_seconds, 2),
            "per_file": per_file}
