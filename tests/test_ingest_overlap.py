"""Several files in one `funds ingest`: the next file is checked while one loads (`ingest.ingest_files`).

The outcomes, the stored rows and the ingest log must be exactly those of loading the files one by
one, including what depends on the file before (its rows, its checksum); and the database file
must lie as compact as after one-by-one loads.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from funds import snapshots
from pipelines import demo, ingest
from pipelines.ingest import Outcome, ingest_file, ingest_files, open_for_ingest

WAIT = 20.0  # seconds; a step that never comes fails the layout assertions instead of hanging


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> demo.DemoFiles:
    return demo.write_files(tmp_path_factory.mktemp("county"), households=300, year=2007, seed=3, rows_per_file=400)


def _catalogued(path: Path, county: demo.DemoFiles) -> Path:
    con, key = open_for_ingest(path)
    try:
        assert ingest_file(con, key, "funds", county.funds, "t").status == "loaded"
    finally:
        con.close()
    return path


def _uploads(county: demo.DemoFiles, folder: Path) -> list[Path]:
    """Three rosters, plus a file repeating the first one's rows (other bytes: it is checked, and its rows
    are already loaded by the file before it) and a byte copy of the second (already loaded as a file)."""
    p1, p2, p3 = county.payments
    rows_again = folder / "rows_again.csv"
    rows_again.write_bytes(p1.read_bytes() + b"\n")
    copy = folder / "copy_of_2.csv"
    shutil.copy(p2, copy)
    return [p1, rows_again, p2, copy, p3]


def _summary(outcomes: list[Outcome]) -> list[tuple[object, ...]]:
    return [(o.path, o.status, o.batch_id, o.report.rows, sorted({i.code for i in o.report.errors}))
            for o in outcomes]


def _stored(path: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            "rows": con.execute("select batch_id, row_no, id_masked, township, amount, paid_date from payment_rows "
                                "order by all").fetchall(),
            "batches": con.execute("select batch_id, kind, file_name, rows, status from batches order by 1").fetchall(),
            "log": con.execute("select attempt_id, kind, file_name, status, batch_id, rows, errors from ingest_log "
                               "order by 1").fetchall(),
        }
    finally:
        con.close()


def _layout(path: Path) -> tuple[list[int], int]:
    """Rows per row group of payment_rows, and the file's free blocks."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        groups = [n for _, n in con.execute(
            "select row_group_id, sum(count) from pragma_storage_info('payment_rows') "
            "where column_name = 'batch_id' and segment_type <> 'VALIDITY' group by all order by 1").fetchall()]
        free = con.execute("select free_blocks from pragma_database_size() where database_name = current_database()"
                           ).fetchall()[0][0]
        return groups, free
    finally:
        con.close()


def test_several_files_end_as_they_would_one_by_one(county: demo.DemoFiles, tmp_path: Path) -> None:
    uploads = _uploads(county, tmp_path)
    one_by_one = _catalogued(tmp_path / "one.duckdb", county)
    together = _catalogued(tmp_path / "together.duckdb", county)
    con, key = open_for_ingest(one_by_one)
    try:
        expected = [ingest_file(con, key, "payments", p, "t") for p in uploads]
    finally:
        con.close()
    con, key = open_for_ingest(together)
    try:
        got = list(ingest_files(con, key, "payments", uploads, "t"))
    finally:
        con.close()
    assert [o.status for o in got] == ["loaded", "rejected", "loaded", "already_loaded", "loaded"]
    assert "already-loaded" in {i.code for i in got[1].report.errors}  # found in the rows the file before loaded
    assert _summary(got) == _summary(expected)
    assert _stored(together) == _stored(one_by_one)
    assert _layout(together) == _layout(one_by_one)


def test_stopping_after_the_first_file_leaves_the_rest_unloaded(county: demo.DemoFiles, tmp_path: Path) -> None:
    path = _catalogued(tmp_path / "stop.duckdb", county)
    con, key = open_for_ingest(path)
    try:
        results = ingest_files(con, key, "payments", county.payments, "t")
        assert next(results).status == "loaded"
        results.close()  # the second file was being checked meanwhile: it is dropped, not loaded
        assert con.execute("select count(*) from batches where kind = 'payments'").fetchall()[0][0] == 1
        assert [o.status for o in ingest_files(con, key, "payments", county.payments, "t")] == [
            "already_loaded", "loaded", "loaded"]
    finally:
        con.close()


def test_a_load_published_while_the_next_file_is_checked_leaves_the_file_compact(
        county: demo.DemoFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each publish (its checkpoint) is made while the next file's check is inside a DuckDB statement.

    A checkpoint beside a transaction open in the database cannot merge row groups or free the
    blocks it replaces; the file being checked must keep none open there while it works. Each
    published snapshot must lie as it does when the files are loaded one by one.
    """
    files = county.payments
    publish = snapshots.publish
    layouts: dict[str, list[tuple[list[int], int]]] = {"one": [], "together": []}
    holding = [threading.Event() for _ in files]  # the check of file k is inside its statement
    published = [threading.Event() for _ in files]  # the load of file k is published

    def recorded(run: str, before: threading.Event | None = None,
                 after: threading.Event | None = None) -> Callable[[duckdb.DuckDBPyConnection, Path], Path]:
        def publishing(con: duckdb.DuckDBPyConnection, db_path: Path) -> Path:
            if before is not None:
                before.wait(WAIT)
            try:
                snap = publish(con, db_path)
            finally:
                if after is not None:
                    after.set()
            layouts[run].append(_layout(snap))
            return snap
        return publishing

    one, together = (_catalogued(tmp_path / f"{n}.duckdb", county) for n in ("one", "together"))
    con, key = open_for_ingest(one)
    monkeypatch.setattr(snapshots, "publish", recorded("one"))
    try:
        assert all(ingest_file(con, key, "payments", p, "t").status == "loaded" for p in files)
    finally:
        con.close()

    def hold(k: int) -> int:
        holding[k].set()
        published[k - 1].wait(WAIT)
        return k

    prepare = ingest._prepare

    def checking(con: duckdb.DuckDBPyConnection, key: bytes, kind: str, path: Path,
                 *args: object) -> ingest._Prepared:
        prepared = prepare(con, key, kind, path, *args)  # type: ignore[arg-type]
        k = files.index(path)
        if k >= 1:  # a file checked while the one before it loads: a statement open on its cursor
            con.create_function("funds_test_hold", hold, ["BIGINT"], "BIGINT")
            try:
                con.execute(f"select funds_test_hold({k}::bigint)").fetchall()
            finally:
                con.remove_function("funds_test_hold")
        return prepared

    publishes = iter(range(len(files)))

    def overlapped(con: duckdb.DuckDBPyConnection, db_path: Path) -> Path:
        p = next(publishes)
        before = holding[p + 1] if p + 1 < len(files) else None
        return recorded("together", before, published[p])(con, db_path)

    con, key = open_for_ingest(together)
    monkeypatch.setattr(ingest, "_prepare", checking)
    monkeypatch.setattr(snapshots, "publish", overlapped)
    try:
        assert [o.status for o in ingest_files(con, key, "payments", files, "t")] == ["loaded"] * len(files)
    finally:
        con.close()
    assert all(e.is_set() for e in holding[1:])  # the overlap did happen
    assert layouts["together"] == layouts["one"]
