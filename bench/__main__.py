"""`python -m bench [--quick] [--sizes 1M,10M] [--huge] [--only ingest,lookup,...]`: issue 5's figures.

Builds its own data under bench_out/ (gitignored), prints a readable table to stderr and
one JSON document to stdout (also written to bench_out/bench.json). Every figure has its
baseline measured in the same run on the same data. --huge adds 100M-row tables (long).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from bench import county_bench, data, ingest_bench, kiosk_bench, query_bench
from pipelines.ingest import plan, spreadsheets

SECTIONS = ("ingest", "county", "xlsx", "naive", "rss", "lookup", "load", "kiosk")


def _n(text: str) -> int:
    text = text.strip().upper()
    mult = {"K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KM")) * mult)


def _label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes (a minute or two), for a smoke run")
    p.add_argument("--huge", action="store_true", help="add the 100M-row lookup/auditor tables (tens of minutes, ~30 GB disk)")
    p.add_argument("--sizes", help="lookup/auditor table sizes, e.g. 1M,10M (default 1M,10M; --huge adds 100M)")
    p.add_argument("--csv-rows", type=_n, help="rows of the ingest CSV (default 1M)")
    p.add_argument("--county-rows", type=_n, help="payment rows of the full county year (default 880k)")
    p.add_argument("--county-dir", help="time this folder's spreadsheets as the county year instead of the demo's "
                                        "(kinds told from headers, as `funds ingest auto`)")
    p.add_argument("--xlsx-rows", type=_n, help="rows of the ingest xlsx (default 200k)")
    p.add_argument("--rss-rows", type=_n, help="rows of the peak-RSS CSV (default 5M)")
    p.add_argument("--naive-rows", type=_n, help="sample the naive path runs on (default 20k), scaled by rows/s")
    p.add_argument("--lookups", type=int, default=1000, help="random lookups per size (default 1000)")
    p.add_argument("--repeat", type=int, default=2, help="runs of each timed step; the best is reported (default 2)")
    p.add_argument("--sessions", type=int, default=20, help="concurrent kiosk sessions (default 20)")
    p.add_argument("--only", help="comma list of sections: " + ",".join(SECTIONS))
    p.add_argument("--out", default="bench_out", help="data folder (default bench_out/)")
    a = p.parse_args(argv)
    q = a.quick
    a.csv_rows = a.csv_rows or (100_000 if q else 1_000_000)
    a.xlsx_rows = a.xlsx_rows or (20_000 if q else 200_000)
    a.county_rows = a.county_rows or (100_000 if q else 880_000)
    a.rss_rows = a.rss_rows or (200_000 if q else 5_000_000)
    a.naive_rows = a.naive_rows or (5_000 if q else 20_000)
    sizes = [_n(s) for s in a.sizes.split(",")] if a.sizes else ([100_000, 1_000_000] if q else [1_000_000, 10_000_000])
    if a.huge and 100_000_000 not in sizes:
        sizes.append(100_000_000)
    a.size_list = sizes
    if q:
        a.lookups = min(a.lookups, 200)
        a.sessions = min(a.sessions, 5)
        a.repeat = 1
    a.sections = set(a.only.split(",")) if a.only else set(SECTIONS)
    return a


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import psutil

    return {"python": platform.python_version(), "duckdb": duckdb.__version__, "cpus": os.cpu_count(),
            "ram_gib": round(psutil.virtual_memory().total / 2**30, 1), "platform": platform.platform(),
            "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {"machine": machine(), "args": {k: v for k, v in vars(a).items() if k != "sections"}}
    res["args"]["sections"] = sorted(a.sections)
    started = time.perf_counter()

    def say(msg: str) -> None:
        # each step leaves the figures so far on disk, so a failure later loses nothing
        (out / "bench.json").write_text(json.dumps(res, ensure_ascii=False, indent=1, default=str))
        print(f"[{time.perf_counter() - started:7.1f}s] {msg}", file=sys.stderr, flush=True)

    if a.sections != {"county"}:  # every other section reads this county's one big CSV
        say(f"county of {_label(a.csv_rows)} payment rows")
        county = data.county(out / f"county_{_label(a.csv_rows)}", a.csv_rows)
        csv = county.payments[0]
    work = out / "work"
    work.mkdir(exist_ok=True)

    if "ingest" in a.sections or "load" in a.sections or "kiosk" in a.sections:
        say("ingest CSV (pipeline) and bare read_csv, in turns")
        ing, bare = ingest_bench.pipeline_and_bare(work, county.funds, csv, a.repeat)
        res["ingest_csv"] = {**ing, "bare_read_csv_seconds": bare["seconds"],
                             "ratio_to_bare_read_csv": round(ing["seconds"] / bare["seconds"], 2), "bare": bare}
    if "county" in a.sections:
        if a.county_dir:
            say(f"the county year in {a.county_dir}")
            commands = plan(spreadsheets([Path(a.county_dir)]))
        else:
            say(f"the full county year: {_label(a.county_rows)} payments in {county_bench.PAYMENT_FILES} files + other sheets")
            files = county_bench.county_files(out / f"county_year_{_label(a.county_rows)}", a.county_rows)
            commands = county_bench.year_files(files)
        baseline = county_bench.bare_readable(county_bench.in_load_order(commands))
        res["county_year"] = county_bench.full_year(work, commands, a.repeat, baseline)
        say("the county year through `funds ingest auto`, and one process per file")
        res["county_cli_year"] = county_bench.command_line_year(work, commands, a.repeat, baseline)
        if not a.county_dir:
            res["county_cli"] = county_bench.command_line(work, files, a.repeat)
            say("the county year with its rosters as xlsx, and fastexcel's bare read of them, in turns")
            res["county_year_xlsx"] = county_bench.xlsx_year(work, files, a.repeat)
    if "naive" in a.sections:
        say("naive path on samples (pandas/openpyxl, row-by-row, executemany)")
        sample = data.head_csv(csv, work / f"naive_{a.naive_rows}.csv", a.naive_rows)
        res["naive_csv"] = ingest_bench.naive(work, sample, b"k" * 32)
        res["naive_csv"]["note"] = f"measured on the first {a.naive_rows} rows; rows/s scales linearly"
        if "ingest_csv" in res:
            res["ingest_csv"]["ratio_to_naive"] = round(res["ingest_csv"]["rows_per_s"] / res["naive_csv"]["rows_per_s"], 1)
    if "xlsx" in a.sections:
        say(f"xlsx of {_label(a.xlsx_rows)} rows")
        xlsx = data.xlsx_from_csv(csv, out / f"payments_{_label(a.xlsx_rows)}.xlsx", a.xlsx_rows)
        res["ingest_xlsx"] = ingest_bench.pipeline(work, county.funds, xlsx, a.repeat, name="ingest_xlsx")
        res["ingest_xlsx"]["bare_fastexcel_seconds"] = round(min(ingest_bench.bare_workbooks([xlsx])
                                                                 for _ in range(a.repeat)), 3)
        if "naive" in a.sections:
            small = data.xlsx_from_csv(csv, out / f"payments_{_label(a.naive_rows)}.xlsx", a.naive_rows)
            res["naive_xlsx"] = ingest_bench.naive(work, small, b"k" * 32)
            res["naive_xlsx"]["note"] = f"measured on the first {a.naive_rows} rows; rows/s scales linearly"
            res["ingest_xlsx"]["ratio_to_naive"] = round(
                res["ingest_xlsx"]["rows_per_s"] / res["naive_xlsx"]["rows_per_s"], 1)
    if "rss" in a.sections:
        say(f"peak RSS of a {_label(a.rss_rows)}-row CSV ingest (subprocess)")
        big = data.county(out / f"county_{_label(a.rss_rows)}", a.rss_rows, seed=11)
        res["peak_rss"] = ingest_bench.peak_rss(work, big.funds, big.payments[0])
    if "lookup" in a.sections:
        res["lookup"] = {}
        for n in a.size_list:
            say(f"lookup/auditor tables of {_label(n)} rows")
            loaded = data.synthetic_payments(out / f"pay_{_label(n)}_batch.duckdb", n, sorted_by="batch")
            say(f"funds optimize on a copy of the {_label(n)}-row table")
            optimized, optimize = data.optimized(loaded, out / f"pay_{_label(n)}_optimized.duckdb")
            layouts = {"as_loaded": loaded, "optimized": optimized,
                       "unsorted": data.synthetic_payments(out / f"pay_{_label(n)}_none.duckdb", n, sorted_by="none")}
            say(f"lookups at {_label(n)}")
            r = query_bench.lookup_set(layouts, a.lookups, a.repeat, auditor=n >= 1_000_000)
            r["optimize"] = optimize
            for layout in ("as_loaded", "optimized"):
                r[f"speedup_{layout}_vs_unsorted_p50"] = round(r["unsorted"]["p50_ms"] / r[layout]["p50_ms"], 1)
            res["lookup"][_label(n)] = r
    db_path = work / "ingest.duckdb"
    if "load" in a.sections:
        say("lookups while a 1M-row ingest runs in another process")
        second = data.county(out / f"county_{_label(a.csv_rows)}_2008", a.csv_rows, year=2008, seed=8)
        try:
            res["under_ingest"] = query_bench.under_ingest(db_path, csv, second.funds, second.payments[0],
                                                           min(a.lookups, 500))
        except Exception as exc:  # noqa: BLE001 - report and go on to the next figure
            res["under_ingest_error"] = f"{type(exc).__name__}: {exc}"
    if "kiosk" in a.sections:
        say(f"kiosk page with {a.sessions} concurrent sessions")
        people = query_bench._kiosk_people(csv, a.sessions * 3)
        try:
            res["kiosk"] = kiosk_bench.sessions(db_path, people, a.sessions, rounds=3)
        except Exception as exc:  # noqa: BLE001 - report and go on
            res["kiosk_error"] = f"{type(exc).__name__}: {exc}"
    res["total_seconds"] = round(time.perf_counter() - started, 1)
    text = json.dumps(res, ensure_ascii=False, indent=1, default=str)
    (out / "bench.json").write_text(text)
    print(table(res), file=sys.stderr)
    print(text)
    return 0


def table(res: dict[str, Any]) -> str:
    """The figures as a readable table, each with its baseline and target."""
    rows: list[tuple[str, str, str, str]] = []
    g = res.get
    if g("ingest_csv"):
        r = res["ingest_csv"]
        rows.append((f"CSV ingest {r['rows']:,} rows", f"{r['rows_per_s']:,} rows/s ({r['seconds']} s)",
                     f"bare read_csv {r['bare_read_csv_seconds']} s: x{r['ratio_to_bare_read_csv']}"
                     + (f"; naive x{r['ratio_to_naive']} faster" if "ratio_to_naive" in r else ""),
                     ">=250k rows/s, <=4x bare, >=20x naive"))
    if g("county_year"):
        r = res["county_year"]
        rows.append((f"county year, {r['files']} files, {r['payment_rows']:,} payments",
                     f"{r['seconds']} s" + ("" if r["all_loaded"] else " (NOT all loaded)"),
                     f"bare read_csv of its CSVs {r['bare_read_csv_seconds']} s: x{r['ratio_to_bare_read_csv']}"
                     + (f" (not in the baseline: {', '.join(r['baseline_left_out'])})" if r["baseline_left_out"] else ""),
                     "<=15 s"))
    if g("county_year_xlsx"):
        r = res["county_year_xlsx"]
        rows.append((f"county year, rosters as xlsx ({r['workbooks']} workbooks), {r['payment_rows']:,} payments",
                     f"{r['seconds']} s" + ("" if r["all_loaded"] else " (NOT all loaded)"),
                     f"fastexcel's bare read of its workbooks {r['bare_fastexcel_seconds']} s: x{r['ratio_to_bare_fastexcel']}",
                     "<=15 s"))
    if g("county_cli_year"):
        r = res["county_cli_year"]
        rows.append((f"county year, `funds ingest auto` of {r['files']} files, own process", f"{r['seconds']} s wall" + ("" if r["all_loaded"] else " (NOT all loaded)"),
                     f"bare read_csv in its own process {r['bare_process_seconds']} s: x{r['ratio_to_bare_process']}; "
                     f"one process per file {r['one_process_per_file_seconds']} s", "<=15 s"))
    if g("county_cli"):
        r = res["county_cli"]
        rows.append((f"`funds ingest` of one roster, {r['rows']:,} rows, own process", f"{r['seconds']} s wall",
                     f"bare read_csv in its own process {r['bare_process_seconds']} s: x{r['ratio_to_bare_process']}",
                     "-"))
    if g("ingest_xlsx"):
        r = res["ingest_xlsx"]
        rows.append((f"xlsx ingest {r['rows']:,} rows", f"{r['rows_per_s']:,} rows/s ({r['seconds']} s)",
                     f"naive x{r.get('ratio_to_naive', '-')} faster; fastexcel's bare read {r['bare_fastexcel_seconds']} s",
                     ">=100k rows/s, >=20x naive"))
    for k in ("naive_csv", "naive_xlsx"):
        if g(k):
            rows.append((k.replace("_", " "), f"{res[k]['rows_per_s']:,} rows/s", res[k]["note"], "baseline"))
    if g("peak_rss"):
        r = res["peak_rss"]
        rows.append((f"peak RSS, {r.get('rows', '?'):,} rows" if "rows" in r else "peak RSS",
                     f"{r.get('peak_rss_mib', '?')} MiB", f"{r.get('seconds', '?')} s; {r.get('error', '')}", "<=2048 MiB"))
    for size, r in (g("lookup") or {}).items():
        for layout in ("as_loaded", "optimized", "unsorted"):
            x = r[layout]
            rows.append((f"lookup {size} {layout}", f"p50 {x['p50_ms']} ms, p99 {x['p99_ms']} ms",
                         f"n={x['n']}, found {x['found']}" + (f", x{r[f'speedup_{layout}_vs_unsorted_p50']} vs full scan"
                                                             if layout != "unsorted" else " (full-scan baseline)"),
                         "p99<=10 ms; >=20x scan at 10M" if layout != "unsorted" else ""))
        if "optimize" in r:
            rows.append((f"funds optimize {size}", f"{r['optimize']['seconds']} s",
                         f"{r['optimize']['payment_rows']:,} rows sorted by id_hash, snapshot published", ""))
        if "lag_buckets" in r:
            rows.append((f"lag buckets fund x township {size}", f"{r['lag_buckets']['seconds']} s", "", "<=1 s at 10M, <=5 s at 100M"))
            rows.append((f"reconciliation per fund {size}", f"{r['reconcile_per_fund']['seconds']} s", "", ""))
    if g("under_ingest"):
        r = res["under_ingest"]
        rows.append((f"lookup during {r['ingest'].get('rows', '?'):,}-row ingest", f"p99 {r['during_ingest']['p99_ms']} ms (n={r['during_ingest']['n']})",
                     f"quiet p99 {r['quiet']['p99_ms']} ms; ingest {r['ingest'].get('seconds', r['ingest'])}", "p99<=50 ms"))
    if g("kiosk"):
        r = res["kiosk"]
        rows.append((f"kiosk, {r['sessions']} sessions", f"p95 {r['p95_ms']} ms, p50 {r['p50_ms']} ms",
                     f"AppTest, one process per session; errors {r['error_count']}", "p95<=500 ms"))
        if "cold_first_lookup" in r:
            c = r["cold_first_lookup"]
            rows.append(("kiosk, first lookup of each process", f"p50 {c['p50_ms']} ms, p95 {c['p95_ms']} ms",
                         "cold: opens the snapshot, imports; one process serves all sessions in the app", ""))
    w = [max(len(x[i]) for x in rows) for i in range(4)] if rows else [0] * 4
    lines = [" | ".join(x[i].ljust(w[i]) for i in range(4)) for x in [("figure", "measured", "baseline / detail", "target")] + rows]
    lines.insert(1, "-+-".join("-" * n for n in w))
    return "\n".join(lines) + f"\n(total {res.get('total_seconds')} s)"


if __name__ == "__main__":
    sys.exit(main())
