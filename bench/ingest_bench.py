"""Ingest figures: the real pipeline vs DuckDB's bare read_csv vs a naive pandas/openpyxl/executemany path."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import duckdb

from bench.stats import best_of
from funds import idnumber
from pipelines.ingest import ingest_file, open_for_ingest


def fresh_db(folder: Path, name: str, funds_csv: Path) -> tuple[duckdb.DuckDBPyConnection, bytes, Path]:
    """A new database with the county's fund catalogue loaded."""
    path = folder / f"{name}.duckdb"
    remove_db(path)
    con, key = open_for_ingest(path)
    out = ingest_file(con, key, "funds", funds_csv, "bench")
    assert out.status == "loaded", out.report.flatten()[:5]
    return con, key, path


def remove_db(path: Path) -> None:
    """A database file with its key, its snapshots and its spill folder."""
    for p in path.parent.glob(path.name + "*"):
        shutil.rmtree(p) if p.is_dir() else p.unlink()


def pipeline(folder: Path, funds_csv: Path, data: Path, repeat: int, name: str = "ingest") -> dict[str, Any]:
    """End-to-end ingest (read, normalise, validate, hash, load) into a fresh database, best of `repeat`."""
    times, rows = [], 0
    for _ in range(repeat):
        con, key, _ = fresh_db(folder, name, funds_csv)
        t = time.perf_counter()
        out = ingest_file(con, key, "payments", data, "bench")
        times.append(time.perf_counter() - t)
        assert out.status == "loaded", out.report.flatten()[:5]
        rows = out.report.rows
        con.close()
    best = min(times)
    return {"rows": rows, "seconds": round(best, 3), "all_seconds": [round(x, 3) for x in times],
            "rows_per_s": round(rows / best)}


def bare_read_csv(folder: Path, data: Path, repeat: int) -> dict[str, Any]:
    """DuckDB's own read_csv of the same file into a table of a file database, no checks."""
    path = folder / "bare.duckdb"

    def once() -> None:
        path.unlink(missing_ok=True)
        con = duckdb.connect(str(path))
        con.execute("create table t as select * from read_csv($p)", {"p": str(data)})
        con.close()

    best, times = best_of(repeat, once)
    path.unlink(missing_ok=True)
    return {"seconds": round(best, 3), "all_seconds": [round(x, 3) for x in times]}


def bare_workbooks(books: list[Path]) -> float:
    """Seconds of fastexcel's read of each workbook's first sheet (its header in the first row) into typed
    Arrow columns, no checks: the ingest's own reader of a big workbook, as strict about column types, and
    as eager (one RecordBatch, no lazy sheet converted after)."""
    import fastexcel

    t = time.perf_counter()
    for book in books:
        fastexcel.read_excel(str(book)).load_sheet(0, schema_sample_rows=None, dtype_coercion="strict", eager=True)
    return time.perf_counter() - t


def pipeline_and_bare(folder: Path, funds_csv: Path, data: Path, repeat: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """`pipeline` and `bare_read_csv` of the same file in turns (ingest, bare read, ingest, ...), the
    best of `repeat` each: the two bests of a ratio come from the same minutes on a box whose speed
    moves 1.5-2x between them (measured one after the other, a ratio moved with it)."""
    runs = [(pipeline(folder, funds_csv, data, 1), bare_read_csv(folder, data, 1)) for _ in range(repeat)]
    return _best([ing for ing, _ in runs]), _best([bare for _, bare in runs])


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of single runs, with every run's seconds."""
    return {**min(runs, key=lambda r: r["seconds"]), "all_seconds": [r["seconds"] for r in runs]}


# ---------------------------------------------------------------- the naive path

def _naive_rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        ws = wb.worksheets[0]
        it = ws.iter_rows(values_only=True)
        head = [str(h) for h in next(it)]
        return [dict(zip(head, r, strict=False)) for r in it]
    import pandas as pd

    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return df.to_dict("records")


def _date(v: Any) -> dt.date | None:
    if v in (None, ""):
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    return dt.datetime.strptime(str(v), "%Y-%m-%d").date()


def _dec(v: Any) -> Decimal | None:
    if v in (None, ""):
        return None
    try:
        return Decimal(str(v))
    except InvalidOperation:
        return None


def naive(folder: Path, data: Path, key: bytes) -> dict[str, Any]:
    """pandas/openpyxl read, row-by-row Python checks and HMAC, executemany inserts (no SQL set work)."""
    path = folder / "naive.duckdb"
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    con.execute("""create table p (year smallint, fund_code varchar, township varchar, village varchar, name varchar,
                   id_hash varchar, id_masked varchar, amount decimal(18,2), approved_date date, paid_date date)""")
    t = time.perf_counter()
    out, errors, seen = [], 0, set()
    for rec in _naive_rows(data):
        id_text = str(rec["身份证号"]).strip()
        if idnumber.problem(id_text):
            errors += 1
            continue
        amount = _dec(rec["金额"])
        approved, paid = _date(rec["审批日期"]), _date(rec["发放日期"])
        if amount is None or amount <= 0 or approved is None or (paid and paid < approved):
            errors += 1
            continue
        digest = hmac.new(key, idnumber.normalise(id_text).encode(), hashlib.sha256).hexdigest()
        row = (int(float(rec["年度"])), str(rec["资金编码"]), rec["乡镇"], rec["村"], rec["姓名"], digest,
               id_text[:6] + "********" + id_text[14:18], amount, approved, paid)
        if row in seen:
            errors += 1
        seen.add(row)
        out.append(row)
    con.executemany("insert into p values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", out)
    seconds = time.perf_counter() - t
    con.close()
    path.unlink(missing_ok=True)
    return {"rows": len(out), "seconds": round(seconds, 3), "rows_per_s": round(len(out) / seconds), "errors": errors}


# ---------------------------------------------------------------- peak memory

def rss_child(db_path: str, funds_csv: str, data: str) -> None:
    """Subprocess body: ingest one file into a fresh database and print rows, seconds and peak RSS."""
    from bench.stats import peak_rss_mib

    con, key = open_for_ingest(Path(db_path))
    ingest_file(con, key, "funds", Path(funds_csv), "bench")
    base = peak_rss_mib()
    t = time.perf_counter()
    out = ingest_file(con, key, "payments", Path(data), "bench")
    print(json.dumps({"status": out.status, "rows": out.report.rows, "seconds": round(time.perf_counter() - t, 3),
                      "peak_rss_mib": round(peak_rss_mib()), "rss_before_mib": round(base)}))


def peak_rss(folder: Path, funds_csv: Path, data: Path) -> dict[str, Any]:
    """Peak RSS of a whole ingest process (fresh interpreter) for one file."""
    db_path = folder / "rss.duckdb"
    for p in folder.glob("rss.*"):
        if p.is_file():
            p.unlink()
    # a 5M-row CSV is ~600 MB: above the default upload limit, which is not what this measures
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent), "FUNDS_UPLOAD_MAX_MB": "100000"}
    proc = subprocess.run([sys.executable, "-m", "bench.rss", str(db_path), str(funds_csv), str(data)],
                          capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:] or ["failed"]}
    return json.loads(proc.stdout.strip().splitlines()[-1])
