"""The bench's lookup figures measure what they say: every layout answers every sampled person, in turns."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import SAMPLE

from bench import data, query_bench


def test_lookup_set_finds_every_person_on_every_layout_and_takes_turns(tmp_path: Path) -> None:
    rows = 24_000
    loaded = data.synthetic_payments(tmp_path / "batch.duckdb", rows, batch_rows=8_000, sorted_by="batch")
    optimized, figures = data.optimized(loaded, tmp_path / "optimized.duckdb")
    assert figures["payment_rows"] == rows and figures["mode"] == "full"
    layouts = {"as_loaded": loaded, "optimized": optimized,
               "unsorted": data.synthetic_payments(tmp_path / "none.duckdb", rows, batch_rows=8_000, sorted_by="none")}

    out = query_bench.lookup_set(layouts, n_lookups=600, repeat=1, auditor=True)

    # the kiosk's path on the sorted layouts and the full scan on the unsorted one all find each person
    assert (out["as_loaded"]["n"], out["as_loaded"]["found"]) == (600, 600)
    assert (out["optimized"]["n"], out["optimized"]["found"]) == (600, 600)
    assert (out["unsorted"]["n"], out["unsorted"]["found"]) == (60, 60)  # one person in each turn of ten
    assert out["method"] == ("layouts in turns of 10 people; the unsorted one for the first person of each turn; "
                             "the app's layouts once their lookup columns were read in (household.keep_warm)")
    assert set(out["warm_wait_s"]) == {"as_loaded", "optimized"}
    assert out["lag_buckets"]["result_rows"] > 0 and out["reconcile_per_fund"]["result_rows"] == 160


def test_ingest_and_its_bare_read_take_turns_and_report_the_best_of_each(tmp_path: Path) -> None:
    from conftest import SAMPLE

    from bench import ingest_bench

    data_file = SAMPLE / "payments_utf8_bom.csv"
    ing, bare = ingest_bench.pipeline_and_bare(tmp_path, SAMPLE / "funds.csv", data_file, repeat=2)

    assert ing["rows"] == 5  # the file's five payments (below its title rows, above its 合计 line)
    for run in (ing, bare):
        assert len(run["all_seconds"]) == 2 and run["seconds"] == min(run["all_seconds"]) > 0
    # the best run's rate (rows_per_s is a whole number of its unrounded time, seconds is rounded to the ms)
    assert abs(ing["rows_per_s"] - ing["rows"] / ing["seconds"]) <= 1 + 0.01 * ing["rows_per_s"]


def test_the_county_year_and_its_bare_read_take_turns(tmp_path: Path) -> None:
    from bench import county_bench

    files = county_bench.county_files(tmp_path / "county", 1_400)
    year = county_bench.full_year(tmp_path, county_bench.year_files(files), repeat=2)

    written = 0
    for roster in files.payments:
        with roster.open(encoding="utf-8") as f:
            written += sum(1 for _ in f) - 1  # the demo's rosters: one header line, no line breaks in cells
    assert year["all_loaded"] and year["files"] == 11 and year["payment_rows"] == written > 0
    assert len(year["all_seconds"]) == len(year["bare_all_seconds"]) == 2
    assert year["seconds"] == min(year["all_seconds"]) and year["bare_read_csv_seconds"] == min(year["bare_all_seconds"])
    assert year["baseline_left_out"] == ["projects.xlsx", "budgets_gbk.csv"]  # a workbook, and GBK (DuckDB reads UTF-8)


def test_the_xlsx_county_year_loads_every_workbook_in_turns_with_fastexcels_read(tmp_path: Path) -> None:
    from bench import county_bench

    files = county_bench.county_files(tmp_path / "county", 1_400)
    year = county_bench.xlsx_year(tmp_path, files, repeat=2)

    csv_rows = sum(sum(1 for _ in roster.open(encoding="utf-8")) - 1 for roster in files.payments)
    assert year["all_loaded"] and year["files"] == 11 and year["workbooks"] == len(files.payments) == 7
    assert [f["file"] for f in year["per_file"] if f["kind"] == "payments"] == [p.stem + ".xlsx" for p in files.payments]
    assert year["payment_rows"] == csv_rows  # every row of every roster, read from its workbook
    assert len(year["all_seconds"]) == len(year["bare_all_seconds"]) == 2
    assert year["bare_fastexcel_seconds"] == min(year["bare_all_seconds"]) > 0


def test_each_ratio_times_its_two_sides_in_turns(tmp_path: Path, monkeypatch) -> None:
    """The order the bench runs things in: ingest, bare read, ingest, bare read (the 1M file and the
    county year), and lookups in turns of ten people per layout with one full scan per turn."""
    import functools

    from bench import county_bench, ingest_bench

    calls: list[str] = []
    monkeypatch.setattr(ingest_bench, "pipeline", lambda *a: calls.append("ingest") or
                        {"rows": 10, "seconds": 1.0 + len(calls), "rows_per_s": 10})
    monkeypatch.setattr(ingest_bench, "bare_read_csv", lambda *a: calls.append("bare") or {"seconds": 0.5 + len(calls)})
    ing, bare = ingest_bench.pipeline_and_bare(tmp_path, tmp_path / "f.csv", tmp_path / "p.csv", repeat=3)
    assert calls == ["ingest", "bare"] * 3 and (ing["seconds"], bare["seconds"]) == (2.0, 2.5)

    calls.clear()
    monkeypatch.setattr(county_bench, "_ingest_year", lambda *a: calls.append("ingest") or
                        {"seconds": 5.0 - len(calls), "per_file": [{"kind": "payments", "status": "loaded", "rows": 1}],
                         "publish_seconds": 0.1})
    monkeypatch.setattr(county_bench, "_bare_year", lambda *a: calls.append("bare") or 3.0 - len(calls) / 10)
    commands = [("funds", [tmp_path / "f.csv"]), ("payments", [tmp_path / "p1.csv"])]
    year = county_bench.full_year(tmp_path, commands, repeat=2)
    assert calls == ["ingest", "bare"] * 2 and (year["seconds"], year["bare_read_csv_seconds"]) == (2.0, 2.6)

    rows = 3_000
    loaded = data.synthetic_payments(tmp_path / "batch.duckdb", rows, batch_rows=1_000, sorted_by="batch")
    layouts = {"as_loaded": loaded, "optimized": data.optimized(loaded, tmp_path / "optimized.duckdb")[0],
               "unsorted": data.synthetic_payments(tmp_path / "none.duckdb", rows, batch_rows=1_000, sorted_by="none")}
    order: list[str] = []

    def noted(real, layout, *a):
        order.append(layout)
        return real(*a)

    monkeypatch.setattr(query_bench, "app_lookup", functools.partial(noted, query_bench.app_lookup, "sorted"))
    monkeypatch.setattr(query_bench, "scan_lookup", functools.partial(noted, query_bench.scan_lookup, "scan"))
    query_bench.lookup_set(layouts, n_lookups=500, repeat=1, auditor=False)
    measured = order[20 * 3:]  # after the 20 warm-up people, each looked up on the three layouts
    assert measured == (["sorted"] * 20 + ["scan"]) * 50  # per turn: as loaded x10, optimized x10, one scan


def test_a_folder_of_sheets_is_timed_as_the_county_year(tmp_path: Path) -> None:
    """`--county-dir`: any folder's sheets (kinds told from headers) through the in-process run and
    through `funds ingest auto` from the shell, each beside DuckDB's bare read of the CSVs it takes."""
    import json

    from bench.__main__ import main

    folder = tmp_path / "heldout"
    folder.mkdir()
    for name in ("payments_utf8_bom.csv", "funds.csv", "payments_gbk.csv", "projects_wan.xlsx"):
        shutil.copy(SAMPLE / name, folder / name)
    assert main(["--only", "county", "--county-dir", str(folder), "--repeat", "1", "--out", str(tmp_path / "out")]) == 0
    res = json.loads((tmp_path / "out" / "bench.json").read_text())
    year, shell = res["county_year"], res["county_cli_year"]
    assert year["all_loaded"] and year["files"] == 4 and year["payment_rows"] == 5 + 3
    assert [f["kind"] for f in year["per_file"]] == ["funds", "payments", "payments", "projects"]
    assert year["baseline_left_out"] == ["payments_gbk.csv", "projects_wan.xlsx"]
    assert shell["all_loaded"] and shell["files"] == 4 and shell["seconds"] > 0 and shell["bare_process_seconds"] > 0
    assert shell["one_process_per_file_seconds"] > 0
    assert "county_cli" not in res  # the single-roster figure belongs to the demo county
