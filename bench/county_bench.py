"""The full county year: ~880k payments in 7 files plus the other sheets, ingested in load order."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from bench import ingest_bench
from pipelines import demo
from pipelines.ingest import ingest_files, open_for_ingest

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


def full_year(work: Path, files: demo.DemoFiles, repeat: int = 1) -> dict[str, Any]:
    """Every file of the county into a fresh database (funds catalogue first), timed end to end,
    kind by kind as `funds ingest KIND FILE...` loads them (`ingest_files`); best of `repeat`.

    Baseline: DuckDB's bare read_csv of every CSV of the same county into tables, no checks
    (its reader has no GBK: the GBK budget sheet, a few rows, is left out of the baseline),
    timed in turns with the ingest (ingest, bare, ingest, bare), so both bests of the ratio
    come from the same minutes.
    """
    commands = [("funds", [files.funds]), ("payments", files.payments), ("allocations", [files.allocations]),
                ("projects", [files.projects]), ("budgets", [files.budgets])]
    order = [path for _, paths in commands for path in paths]
    runs = [(_ingest_year(work, commands), _bare_year(work, order)) for _ in range(repeat)]
    best = min((ingest for ingest, _ in runs), key=lambda r: r["seconds"])
    bare = min(b for _, b in runs)
    payments = sum(f["rows"] for f in best["per_file"] if f["kind"] == "payments")
    return {"files": len(order), "payment_rows": payments, "seconds": round(best["seconds"], 2),
            "all_seconds": [round(ingest["seconds"], 2) for ingest, _ in runs],
            "all_loaded": all(f["status"] == "loaded" for ingest, _ in runs for f in ingest["per_file"]),
            "bare_read_csv_seconds": round(bare, 2), "bare_all_seconds": [round(b, 2) for _, b in runs],
            "ratio_to_bare_read_csv": round(best["seconds"] / bare, 2), "per_file": best["per_file"]}


def _ingest_year(work: Path, commands: list[tuple[str, list[Path]]]) -> dict[str, Any]:
    """One ingest of the whole county into a fresh database: seconds and each file's outcome."""
    db_path = work / "county.duckdb"
    for p in work.glob("county.duckdb*"):
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    t = time.perf_counter()
    con, key = open_for_ingest(db_path)
    per_file = []
    try:
        for kind, paths in commands:  # one `funds ingest KIND FILE...` each: a roster checked while one loads
            s = time.perf_counter()
            for path, out in zip(paths, ingest_files(con, key, kind, paths, "bench"), strict=True):
                per_file.append({"file": path.name, "kind": kind, "status": out.status, "rows": out.report.rows,
                                 "seconds": round(time.perf_counter() - s, 3)})  # when it was done
                s = time.perf_counter()
    finally:
        con.close()
    return {"seconds": time.perf_counter() - t, "per_file": per_file}


def _bare_year(work: Path, order: list[Path]) -> float:
    """Seconds of DuckDB's bare read_csv of the county's UTF-8 CSVs into tables of a new file."""
    bare_path = work / "county_bare.duckdb"
    bare_path.unlink(missing_ok=True)
    b = time.perf_counter()
    bare = duckdb.connect(str(bare_path))
    for i, path in enumerate(order):
        if path.suffix == ".csv" and "gbk" not in path.name:
            bare.execute(f"create table t{i} as select * from read_csv($p)", {"p": str(path)})
    bare.close()
    seconds = time.perf_counter() - b
    bare_path.unlink(missing_ok=True)
    return seconds


def command_line(work: Path, files: demo.DemoFiles, repeat: int) -> dict[str, Any]:
    """One roster through `funds ingest` as a user runs it (a new process, into a database holding
    the catalogue), wall time with start-up and exit, best of `repeat`.

    Baseline: a new Python process doing DuckDB's bare read_csv of the same file into a table of
    a new database file. Both pay an interpreter start; the ingest also pays its imports.
    """
    roster = files.payments[0]
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root), "FUNDS_INGEST_NICE": "0"}
    db_path, bare_path = work / "cli.duckdb", work / "cli_bare.duckdb"

    def run(args: list[str]) -> float:
        t = time.perf_counter()
        subprocess.run([sys.executable, *args], check=True, capture_output=True, env=env, cwd=root)
        return time.perf_counter() - t

    ingest, bare = [], []
    for _ in range(repeat):
        ingest_bench.fresh_db(work, "cli", files.funds)[0].close()
        bare_path.unlink(missing_ok=True)
        ingest.append(run(["-m", "funds_cli", "ingest", "payments", str(roster), "--db", str(db_path)]))
        bare.append(run(["-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
                               "c.execute('create table t as select * from read_csv($p)', {'p': sys.argv[2]}); c.close()",
                         str(bare_path), str(roster)]))
    with roster.open("rb") as f:
        rows = sum(1 for _ in f) - 1  # the demo's rosters have one header line and no line breaks in cells
    return {"file": roster.name, "rows": rows, "seconds": round(min(ingest), 3),
            "all_seconds": [round(x, 3) for x in ingest], "bare_process_seconds": round(min(bare), 3),
            "ratio_to_bare_process": round(min(ingest) / min(bare), 2)}
