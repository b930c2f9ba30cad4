"""Several files in one `funds ingest`: the next file is checked while one loads (`ingest.ingest_files`).

The outcomes, the stored rows and the ingest log must be exactly those of loading the files one by
one, including what depends on the file before (its rows, its checksum); and the database file
must lie as compact as after one-by-one loads.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import duckdb
import pytest

from funds import db, snapshots
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
    groups, free = _layout(together)
    assert groups == _layout(one_by_one)[0] and free <= _layout(one_by_one)[1]


def test_stopping_after_the_first_file_leaves_the_rest_unloaded(county: demo.DemoFiles, tmp_path: Path) -> None:
    path = _catalogued(tmp_path / "stop.duckdb", county)
    con, key = open_for_ingest(path)
    try:
        results = ingest_files(con, key, "payments", county.payments, "t")
        assert next(results).status == "loaded"
        results.close()  # the second file was being checked meanwhile: it is dropped, not loaded
        assert _payment_batches(con) == 1
        assert not snapshots.needs_publish(path)  # what the stopped run loaded is published
        snap = snapshots.current(path)
        assert snap is not None
        assert [b[1:3] for b in _stored(snap)["batches"]] == [("funds", "funds.csv"),
                                                               ("payments", county.payments[0].name)]
        assert [o.status for o in ingest_files(con, key, "payments", county.payments, "t")] == [
            "already_loaded", "loaded", "loaded"]
    finally:
        con.close()


def test_a_run_is_published_once_when_it_ends(county: demo.DemoFiles, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Readers see a run's loads together: one snapshot at its end, not one per file (each a checkpoint
    and a copy of the whole file), and the same rows as after one-by-one loads."""
    path = _catalogued(tmp_path / "once.duckdb", county)
    published: list[int] = []
    publish = snapshots.publish

    def counted(con: duckdb.DuckDBPyConnection, db_path: Path) -> Path:
        published.append(_payment_batches(con))
        return publish(con, db_path)

    monkeypatch.setattr(snapshots, "publish", counted)
    con, key = open_for_ingest(path)
    try:
        results = ingest_files(con, key, "payments", county.payments, "t")
        assert next(results).status == "loaded"
        assert published == [] and snapshots.needs_publish(path)  # readers still see the catalogue alone
        assert [o.status for o in results] == ["loaded", "loaded"]
    finally:
        con.close()
    assert published == [3]
    snap = snapshots.current(path)
    assert snap is not None and not snapshots.needs_publish(path)
    assert _stored(snap)["rows"] == _stored(path)["rows"]


def test_a_run_left_unpublished_by_its_caller_is_published_by_publish_pending(
        county: demo.DemoFiles, tmp_path: Path) -> None:
    path = _catalogued(tmp_path / "caller.duckdb", county)
    con, key = open_for_ingest(path)
    try:
        assert [o.status for o in ingest_files(con, key, "payments", county.payments[:2], "t", publish=False)] == [
            "loaded", "loaded"]
        assert snapshots.needs_publish(path)
        before = snapshots.current(path)
        assert db.publish_pending(con) is not None
        assert snapshots.current(path) != before and not snapshots.needs_publish(path)
        assert db.publish_pending(con) is None  # nothing new: no second snapshot
    finally:
        con.close()


def test_a_checkpoint_while_the_next_file_is_checked_leaves_the_file_compact(
        county: demo.DemoFiles, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A long run folds its write-ahead log into the file between files (`_fold`, past CHECKPOINT_MB;
    here after every file), while the next file's check is inside a DuckDB statement.

    A checkpoint beside a transaction open in the database cannot merge row groups or free the
    blocks it replaces; the file being checked must keep none open there while it works. The file
    must lie as it does when the files are loaded one by one.
    """
    files = county.payments
    one, together = (_catalogued(tmp_path / f"{n}.duckdb", county) for n in ("one", "together"))
    con, key = open_for_ingest(one)
    try:
        assert all(ingest_file(con, key, "payments", p, "t").status == "loaded" for p in files)
    finally:
        con.close()

    holding = [threading.Event() for _ in files]  # the check of file k is inside its statement
    folded = [threading.Event() for _ in files]  # the checkpoint after file k is made
    fold = ingest._fold
    checkpoints = []

    def hold(k: int) -> int:
        holding[k].set()
        folded[k - 1].wait(WAIT)
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

    def folding(con: duckdb.DuckDBPyConnection, wal: Path, lock: threading.Lock | None = None) -> None:
        k = len(checkpoints)
        if k + 1 < len(files):
            holding[k + 1].wait(WAIT)
        wal_mb = wal.stat().st_size / 1024 / 1024 if wal.exists() else 0
        try:
            fold(con, wal, lock)
        finally:
            checkpoints.append((wal_mb, wal.stat().st_size if wal.exists() else 0))
            folded[k].set()

    monkeypatch.setattr(ingest, "CHECKPOINT_MB", 0)
    monkeypatch.setattr(ingest, "_prepare", checking)
    monkeypatch.setattr(ingest, "_fold", folding)
    con, key = open_for_ingest(together)
    try:
        assert [o.status for o in ingest_files(con, key, "payments", files, "t")] == ["loaded"] * len(files)
    finally:
        con.close()
    assert all(e.is_set() for e in holding[1:])  # the overlap did happen
    assert len(checkpoints) == len(files) and all(before > 0 and after == 0 for before, after in checkpoints)
    groups, free = _layout(together)
    assert groups == _layout(one)[0] and free <= _layout(one)[1]


def _payment_batches(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select count(*) from batches where kind = 'payments'").fetchall()[0][0]


@pytest.mark.parametrize(("sheet_limit_mb", "at_once"), [(ingest.OVERLAP_MAX_SHEET_MB, 2), (0, 1)],
                         ids=["rosters", "over-the-limit"])
def test_big_workbooks_are_checked_one_at_a_time(county: demo.DemoFiles, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch, sheet_limit_mb: int,
                                                 at_once: int) -> None:
    """A workbook is parsed into Python values whole (~2.6 MB per MB of its sheets' XML), so a run of
    workbooks over OVERLAP_MAX_SHEET_MB checks one file at a time: never two held beside a third."""
    from bench.data import csv_rows, xlsx_from_csv
    from pipelines import validate

    books = [xlsx_from_csv(p, tmp_path / f"{p.stem}.xlsx", csv_rows(p)) for p in county.payments]
    monkeypatch.setattr(ingest, "OVERLAP_MAX_SHEET_MB", sheet_limit_mb)
    busy, most, lock = [0], [0], threading.Lock()
    prepare = validate.prepare

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        with lock:
            busy[0] += 1
            most[0] = max(most[0], busy[0])
        try:
            threading.Event().wait(0.3)  # long enough for a second file to start beside it, if it may
            return prepare(*args, **kwargs)
        finally:
            with lock:
                busy[0] -= 1

    monkeypatch.setattr(validate, "prepare", counted)
    con, key = open_for_ingest(_catalogued(tmp_path / "books.duckdb", county))
    try:
        outcomes = list(ingest_files(con, key, "payments", books, "t"))
    finally:
        con.close()
    assert [o.status for o in outcomes] == ["loaded"] * len(books)
    assert most[0] == at_once
