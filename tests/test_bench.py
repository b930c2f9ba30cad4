"""The bench's lookup figures measure what they say: every layout answers every sampled person, in turns."""

from __future__ import annotations

from pathlib import Path

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
    assert out["method"] == "layouts in turns of 10 people; the unsorted one for the first person of each turn"
    assert out["lag_buckets"]["result_rows"] > 0 and out["reconcile_per_fund"]["result_rows"] == 160


def test_ingest_and_its_bare_read_take_turns_and_report_the_best_of_each(tmp_path: Path) -> None:
    from conftest import SAMPLE

    from bench import ingest_bench

    data_file = SAMPLE / "payments_utf8_bom.csv"
    ing, bare = ingest_bench.pipeline_and_bare(tmp_path, SAMPLE / "funds.csv", data_file, repeat=2)

    assert ing["rows"] == 5  # the file's five payments (below its title rows, above its 合计 line)
    for run in (ing, bare):
        assert len(run["all_seconds"]) == 2 and run["seconds"] == min(run["all_seconds"]) > 0
    assert ing["rows_per_s"] == round(ing["rows"] / ing["seconds"])


def test_the_county_year_and_its_bare_read_take_turns(tmp_path: Path) -> None:
    from bench import county_bench

    files = county_bench.county_files(tmp_path / "county", 1_400)
    year = county_bench.full_year(tmp_path, files, repeat=2)

    written = 0
    for roster in files.payments:
        with roster.open(encoding="utf-8") as f:
            written += sum(1 for _ in f) - 1  # the demo's rosters: one header line, no line breaks in cells
    assert year["all_loaded"] and year["files"] == 11 and year["payment_rows"] == written > 0
    assert len(year["all_seconds"]) == len(year["bare_all_seconds"]) == 2
    assert year["seconds"] == min(year["all_seconds"]) and year["bare_read_csv_seconds"] == min(year["bare_all_seconds"])
