"""The full county year: ~880k payments in 7 files plus the other sheets, ingested in load order."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from bench import data, ingest_bench
from funds import db
from pipelines import demo
from pipelines.ingest import ingest_files, open_for_ingest, plan
from pipelines.read import CSV_SUFFIXES

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


def year_files(files: demo.DemoFiles) -> list[tuple[str, list[Path]]]:
    """The demo county's files by kind in load order, as `funds ingest auto` runs them (`ingest.plan`)."""
    return plan([files.funds, *files.payments, files.allocations, files.projects, files.budgets])


def in_load_order(commands: list[tuple[str, list[Path]]]) -> list[Path]:
    """The files of `commands` (kind, files) in the order they load."""
    return [path for _, paths in commands for path in paths]


Baseline = tuple[list[Path], list[str]]  # `bare_readable`: the CSVs DuckDB reads, the names of the files left out


def full_year(work: Path, commands: list[tuple[str, list[Path]]], repeat: int = 1,
              baseline: Baseline | None = None) -> dict[str, Any]:
    """Every file of the county into a fresh database (funds catalogue first), timed end to end,
    kind by kind as `funds ingest auto FILE...` loads them (one `ingest_files` per kind, one publish at the
    end); best of `repeat`.

    Baseline: DuckDB's bare read_csv of every CSV of the same county that its reader takes (UTF-8:
    it has no GBK; `baseline_left_out` names the others), into tables, no checks, timed in turns
    with the ingest (ingest, bare, ingest, bare), so both bests of the ratio come from the same minutes.
    """
    readable, left_out = baseline or bare_readable(in_load_order(commands))
    out, best, bare = _in_turns(work, commands, lambda: _bare_year(work, readable), repeat)
    return {**out, "bare_read_csv_seconds": round(bare, 2), "baseline_left_out": left_out,
            "ratio_to_bare_read_csv": round(best["seconds"] / bare, 2), "publish_seconds": best["publish_seconds"]}


def _in_turns(work: Path, commands: list[tuple[str, list[Path]]], bare: Callable[[], float],
              repeat: int) -> tuple[dict[str, Any], dict[str, Any], float]:
    """`repeat` ingests of the year, each followed by the `bare` baseline: the figures both years report,
    the best ingest and the best baseline's seconds."""
    runs = [(_ingest_year(work, commands), bare()) for _ in range(repeat)]
    best = min((ingest for ingest, _ in runs), key=lambda r: r["seconds"])
    out = {"files": len(in_load_order(commands)),
           "payment_rows": sum(f["rows"] for f in best["per_file"] if f["kind"] == "payments"),
           "seconds": round(best["seconds"], 2), "all_seconds": [round(ingest["seconds"], 2) for ingest, _ in runs],
           "all_loaded": all(f["status"] == "loaded" for ingest, _ in runs for f in ingest["per_file"]),
           "bare_all_seconds": [round(b, 2) for _, b in runs], "per_file": best["per_file"]}
    return out, best, min(b for _, b in runs)


def _ingest_year(work: Path, commands: list[tuple[str, list[Path]]]) -> dict[str, Any]:
    """One ingest of the whole county into a fresh database: seconds and each file's outcome."""
    db_path = work / "county.duckdb"
    ingest_bench.remove_db(db_path)
    t = time.perf_counter()
    con, key = open_for_ingest(db_path)
    per_file = []
    try:
        for kind, paths in commands:  # one `ingest_files` each: a roster checked while one loads
            s = time.perf_counter()
            for path, out in zip(paths, ingest_files(con, key, kind, paths, "bench", publish=False), strict=True):
                per_file.append({"file": path.name, "kind": kind, "status": out.status, "rows": out.report.rows,
                                 "seconds": round(time.perf_counter() - s, 3)})  # when it was done
                s = time.perf_counter()
        s = time.perf_counter()
        db.publish_pending(con)  # as `funds ingest` does: one snapshot for the run
        publish = time.perf_counter() - s
    finally:
        con.close()
    return {"seconds": time.perf_counter() - t, "per_file": per_file, "publish_seconds": round(publish, 3)}


def xlsx_year(work: Path, files: demo.DemoFiles, repeat: int) -> dict[str, Any]:
    """The county year with its rosters saved as xlsx (written once beside the CSVs, as Excel and WPS
    save a sheet: shared strings, date cells, numbers), loaded in process as `full_year` loads the CSVs;
    best of `repeat`.

    Baseline: fastexcel's bare read of the same workbooks, one after another (each sheet whole into typed
    Arrow columns, no checks), in turns with the ingest: DuckDB has no reader for workbooks here, and
    fastexcel is the reader the ingest uses for a big workbook's rows.
    """
    books = [data.xlsx_from_csv(p, p.with_suffix(".xlsx"), data.csv_rows(p)) for p in files.payments]
    commands = year_files(dataclasses.replace(files, payments=books))
    out, best, bare = _in_turns(work, commands, lambda: ingest_bench.bare_workbooks(books), repeat)
    return {**out, "workbooks": len(books), "bare_fastexcel_seconds": round(bare, 2),
            "ratio_to_bare_fastexcel": round(best["seconds"] / bare, 2)}


def bare_readable(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """The CSVs DuckDB's read_csv reads whole (tried once, untimed), and the names of the files left out
    (workbooks, and text it refuses, such as GBK): a file refused late would add its failed read's time."""
    readable, left_out = [], []
    con = duckdb.connect()
    try:
        for path in paths:
            try:
                if path.suffix.lower() not in CSV_SUFFIXES:
                    raise ValueError(path.suffix)
                con.execute("select count(*) from read_csv($p)", {"p": str(path)}).fetchall()
                readable.append(path)
            except (duckdb.Error, ValueError):
                left_out.append(path.name)
    finally:
        con.close()
    return readable, left_out


def _bare_year(work: Path, csvs: list[Path]) -> float:
    """Seconds of DuckDB's bare read_csv of `csvs` into tables of a new file."""
    bare_path = work / "county_bare.duckdb"
    bare_path.unlink(missing_ok=True)
    b = time.perf_counter()
    bare = duckdb.connect(str(bare_path))
    for i, path in enumerate(csvs):
        bare.execute(f"create table t{i} as select * from read_csv($p)", {"p": str(path)})
    bare.close()
    seconds = time.perf_counter() - b
    bare_path.unlink(missing_ok=True)
    return seconds


_BARE_PROCESS = ("import duckdb, sys; c = duckdb.connect(sys.argv[1])\n"
                 "for i, p in enumerate(sys.argv[2:]): c.execute(f'create table t{i} as select * from read_csv($p)', {'p': p})\n"
                 "c.close()")


def _process(args: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, str]:
    """Wall seconds and output of a new Python process (the project on its path, ingest at full
    priority); an exit code not in `ok` raises."""
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(root), "FUNDS_INGEST_NICE": "0"}
    t = time.perf_counter()
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=root)
    seconds = time.perf_counter() - t
    if done.returncode not in ok:
        raise RuntimeError(f"{args[:4]} exited {done.returncode}: {done.stderr[-2000:]}")
    return seconds, done.stdout


def command_line_year(work: Path, commands: list[tuple[str, list[Path]]], repeat: int,
                      baseline: Baseline | None = None) -> dict[str, Any]:
    """The county year as a user runs it from the shell, wall time with every process's start and exit:
    `funds ingest auto FILE...` (one process), in turns with a new Python process doing the bare
    read_csv of the same CSVs; best of `repeat` each. Once, for comparison: one `funds ingest KIND
    FILE` process per file, in load order (a process per file pays ~0.8 s of start-up each, and
    checks no file beside the load of another)."""
    db_path, bare_path = work / "cli_year.duckdb", work / "cli_year_bare.duckdb"
    order = in_load_order(commands)
    readable, _ = baseline or bare_readable(order)
    auto, bare, statuses = [], [], []
    for _ in range(repeat):
        ingest_bench.remove_db(db_path)
        seconds, printed = _process(["-m", "funds_cli", "ingest", "--json", "auto", *map(str, order), "--db", str(db_path)],
                                    ok=(0, 1))  # 1: a file rejected (all_loaded says so)
        auto.append(seconds)
        statuses += [f["status"] for f in json.loads(printed)["files"]]
        bare_path.unlink(missing_ok=True)
        bare.append(_process(["-c", _BARE_PROCESS, str(bare_path), *map(str, readable)])[0])
    ingest_bench.remove_db(db_path)
    per_file = sum(_process(["-m", "funds_cli", "ingest", kind, str(path), "--db", str(db_path)], ok=(0, 1))[0]
                   for kind, paths in commands for path in paths)
    ingest_bench.remove_db(db_path)
    bare_path.unlink(missing_ok=True)
    return {"files": len(order), "seconds": round(min(auto), 2), "all_seconds": [round(x, 2) for x in auto],
            "bare_process_seconds": round(min(bare), 2), "bare_all_seconds": [round(x, 2) for x in bare],
            "ratio_to_bare_process": round(min(auto) / min(bare), 2), "all_loaded": set(statuses) == {"loaded"},
            "one_process_per_file_seconds": round(per_file, 2)}


def command_line(work: Path, files: demo.DemoFiles, repeat: int) -> dict[str, Any]:
    """One roster through `funds ingest` as a user runs it (a new process, into a database holding
    the catalogue), wall time with start-up and exit, best of `repeat`.

    Baseline: a new Python process doing DuckDB's bare read_csv of the same file into a table of
    a new database file. Both pay an interpreter start; the ingest also pays its imports.
    """
    roster = files.payments[0]
    db_path, bare_path = work / "cli.duckdb", work / "cli_bare.duckdb"
    ingest, bare = [], []
    for _ in range(repeat):
        ingest_bench.fresh_db(work, "cli", files.funds)[0].close()
        bare_path.unlink(missing_ok=True)
        ingest.append(_process(["-m", "funds_cli", "ingest", "payments", str(roster), "--db", str(db_path)])[0])
        bare.append(_process(["-c", _BARE_PROCESS, str(bare_path), str(roster)])[0])
    with roster.open("rb") as f:
        rows = sum(1 for _ in f) - 1  # the demo's rosters have one header line and no line breaks in cells
    return {"file": roster.name, "rows": rows, "seconds": round(min(ingest), 3),
            "all_seconds": [round(x, 3) for x in ingest], "bare_process_seconds": round(min(bare), 3),
            "ratio_to_bare_process": round(min(ingest) / min(bare), 2)}
