"""`funds optimize`: payment rows rewritten in ID-hash order, every lookup and report unchanged."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from known_people import people
from reliability_helpers import digest_con, run_funds

from funds import db, disclosure, household, keys, settings

TODAY = dt.date(2008, 6, 30)
OUT_OF_ORDER = """
    select count(*) from (select id_hash < lag(id_hash) over (order by rowid) as back from payment_rows) where back
"""


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo county loaded as several payment batches (each sorted by itself), the last one replaced."""
    from pipelines import demo
    from pipelines.ingest import ingest_file, open_for_ingest

    folder = tmp_path_factory.mktemp("optimize")
    files = demo.write_files(folder / "files", households=300, year=2007, seed=11, rows_per_file=250)
    assert len(files.payments) >= 3
    last = files.payments[-1]
    corrected = last.with_name("corrected.csv")
    corrected.write_text("".join(last.read_text("utf-8").splitlines(keepends=True)[:-1]), "utf-8")  # one row less
    path = folder / "funds.duckdb"
    con, key = open_for_ingest(path)
    try:
        assert ingest_file(con, key, "funds", files.funds, "tester").status == "loaded"
        batches = [ingest_file(con, key, "payments", f, "tester") for f in files.payments]
        assert all(b.status == "loaded" for b in batches)
        replaced = ingest_file(con, key, "payments", corrected, "tester", batches[-1].batch_id)
        assert replaced.status == "loaded"
    finally:
        con.close()
    return path


def _results(path: Path) -> dict[str, Any]:
    """Everything a user can see that depends on payment rows: lookups, the report, batches, every table."""
    key = keys.load(settings.secret_path(path))
    with db.reading(path) as con:
        return {
            "lookups": [household.lookup(con, key, p["id"], name, TODAY)
                        for p in people(households=300, year=2007, seed=11) for name in (p["name"], p["name"] + "伟")],
            "report": disclosure.annual(con, 2007),
            "batches": db.fetch_dicts(con, "list_batches"),
            "tables": digest_con(con),
        }


def _packed(path: Path) -> bool:
    """Whether a kiosk lookup now reads the packed lookup_row (every row has one) rather than ten columns."""
    with db.reading(path) as con:
        return household._packed(con)


def _out_of_order(path: Path) -> int:
    with db.reading(path) as con:
        return int(con.execute(OUT_OF_ORDER).fetchall()[0][0])


def test_optimize_sorts_payment_rows_and_changes_no_result(county: Path) -> None:
    before = _results(county)
    assert sum(r["found"] for r in before["lookups"]) > 0
    assert _out_of_order(county) > 0  # batches are sorted each by itself, not together
    assert not _packed(county)

    out = run_funds("optimize", "--json", "--db", str(county))
    assert out.returncode == 0, out.stderr
    figures = json.loads(out.stdout)
    assert figures["superseded_rows"] > 0  # a corrected batch's old rows are history and stay

    assert _out_of_order(county) == 0
    assert _packed(county)  # the same answers, read from lookup_row
    assert _results(county) == before


def test_optimize_of_a_missing_database_says_what_to_do(tmp_path: Path) -> None:
    out = run_funds("optimize", "--db", str(tmp_path / "none.duckdb"), "--lang", "en")
    assert out.returncode != 0
    assert "funds init" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "none.duckdb").exists()


def test_a_later_optimize_merges_only_the_batches_loaded_since(tmp_path: Path) -> None:
    """First optimize: one sorted run. Two more files: only their rows are merged, into a second run;
    every result stays the same; nothing new: nothing to do; --full: one run again."""
    from pipelines import demo
    from pipelines.ingest import ingest_file, open_for_ingest

    files = demo.write_files(tmp_path / "files", households=300, year=2007, seed=11, rows_per_file=100)
    assert len(files.payments) >= 10
    path = tmp_path / "funds.duckdb"

    def load(batch_files: list[Path]) -> int:
        con, key = open_for_ingest(path)
        try:
            outcomes = [ingest_file(con, key, "payments", f, "tester") for f in batch_files]
            assert all(o.status == "loaded" for o in outcomes)
            return sum(o.report.rows for o in outcomes)
        finally:
            con.close()

    con, key = open_for_ingest(path)
    try:
        assert ingest_file(con, key, "funds", files.funds, "tester").status == "loaded"
    finally:
        con.close()
    load(files.payments[:-2])

    def optimize(*extra: str) -> dict[str, Any]:
        out = run_funds("optimize", "--json", "--db", str(path), *extra)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    assert optimize()["mode"] == "full" and _out_of_order(path) == 0
    recent_rows = load(files.payments[-2:])
    before = _results(path)
    assert not _packed(path)  # the new batches have no lookup_row yet
    merged = optimize()
    assert (merged["mode"], merged["rows_rewritten"], merged["sorted_runs"]) == ("recent", recent_rows, 2)
    assert _out_of_order(path) <= 1  # two runs, each in order: at most one step back, where they meet
    assert _packed(path)
    assert _results(path) == before
    assert optimize()["mode"] == "none"
    assert optimize("--full")["mode"] == "full" and _out_of_order(path) == 0
    assert _results(path) == before

    # sorted by a version without lookup_row: the next optimize rewrites everything, not only a new batch
    with db.writing(path) as con:
        con.execute("update payment_rows set lookup_row = null")
    assert optimize()["mode"] == "full" and _packed(path)
    assert _results(path) == before
