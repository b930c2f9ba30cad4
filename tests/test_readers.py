"""Readers share one connection per published snapshot: always the newest data, old files let go of."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest
from conftest import SAMPLE

from funds import db, snapshots


def _note(path: Path, attempt: int) -> None:
    """A committed change readers must see (an ingest attempt in the log), published as a writer does."""
    with db.writing(path) as con:
        con.execute("insert into ingest_log (attempt_id, attempted_at, kind, file_name, sha256, user_name, status, "
                    "rows, errors) values ($a, now()::timestamp, 'funds', 'x.csv', 'ab', 'u', 'rejected', 0, 1)",
                    {"a": attempt})


def _attempts(path: Path, reuse: bool = False) -> int:
    with db.reading(path, reuse) as con:
        return int(con.execute("select count(*) from ingest_log").fetchall()[0][0])


def _snapshot_files(path: Path) -> list[str]:
    return sorted(p.name for p in snapshots.folder(path).glob("snap-*.duckdb"))


def test_each_read_sees_the_last_publish_and_old_snapshots_are_deleted(fresh_db: Path) -> None:
    """A reader after a write sees it at once; the snapshot it moved on from does not stay on disk."""
    assert _attempts(fresh_db) == 0
    for n in range(1, 4):
        _note(fresh_db, n)
        assert _attempts(fresh_db) == n
        assert _snapshot_files(fresh_db) == [snapshots.current(fresh_db).name]  # type: ignore[union-attr]


def test_a_query_in_progress_keeps_its_snapshot_until_it_ends(fresh_db: Path) -> None:
    """A reader opened before a publish goes on reading the old state; its file goes when it ends."""
    with db.reading(fresh_db) as old:
        old_snap = db.path_of(old)
        _note(fresh_db, 1)
        assert _attempts(fresh_db) == 1  # a new reader sees the change
        assert old.execute("select count(*) from ingest_log").fetchall() == [(0,)]  # the old one does not
        assert old_snap.exists()
    assert not old_snap.exists()
    assert _attempts(fresh_db) == 1


@pytest.mark.parametrize("reuse", [False, True], ids=["own cursors", "reused cursors"])
def test_concurrent_threads_read_while_a_writer_publishes(fresh_db: Path, reuse: bool) -> None:
    """Sessions in threads (as Streamlit runs them) all answer, each with a state that was published."""
    errors: list[str] = []
    seen: set[int] = set()
    stop = threading.Event()

    def session() -> None:
        while not stop.is_set():
            try:
                n = _attempts(fresh_db, reuse)
                seen.add(n)
            except Exception as exc:  # noqa: BLE001 - collected and reported by the assertion below
                errors.append(repr(exc))

    threads = [threading.Thread(target=session) for _ in range(6)]
    for t in threads:
        t.start()
    try:
        for n in range(1, 6):
            _note(fresh_db, n)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert errors == []
    assert seen <= set(range(6)) and len(seen) >= 2  # only published states, and the readers saw them change
    assert _attempts(fresh_db) == 5
    assert _snapshot_files(fresh_db) == [snapshots.current(fresh_db).name]  # type: ignore[union-attr]


def test_a_database_copied_in_without_snapshots_is_read(demo_db: Path, tmp_path: Path) -> None:
    """A database file with no snapshot folder (copied in, or from before snapshots) still answers."""
    from conftest import copy_db

    path = copy_db(demo_db, tmp_path / "copied.duckdb")
    with db.reading(path) as con:
        assert con.execute("select count(*) from payments").fetchall()[0][0] > 0


def test_a_snapshot_folder_removed_while_this_process_reads_it_is_published_again(demo_db: Path, tmp_path: Path) -> None:
    """Every read checks that a snapshot is current (cheaply, by the open reader's stamp); with the folder
    gone, the next read publishes a new one and answers from it rather than from the main file."""
    import shutil

    from conftest import copy_db

    path = copy_db(demo_db, tmp_path / "copied.duckdb")
    with db.reading(path) as con:
        before = con.execute("select count(*), sum(amount) from payments").fetchall()
    shutil.rmtree(snapshots.folder(path))
    with db.reading(path) as con:
        assert con.execute("select count(*), sum(amount) from payments").fetchall() == before
        assert db.path_of(con) == snapshots.current(path) is not None


def test_an_upload_check_reads_the_snapshot_in_its_own_memory_limited_instance(catalogue_db: Path, monkeypatch) -> None:
    """The app's dry-run check (db.checking): the published rows, read-only, under ingest_memory_mb, and
    not on the instance that serves kiosk lookups, whose memory has no such limit."""
    import duckdb
    import pytest

    from pipelines import check_job

    monkeypatch.setenv("FUNDS_INGEST_MEMORY_MB", "96")
    with db.reading(catalogue_db) as kiosk:
        kiosk_limit = kiosk.execute("select current_setting('memory_limit')").fetchall()[0][0]
        funds = kiosk.execute("select count(*) from funds").fetchall()[0][0]
    with db.checking(catalogue_db) as con:
        assert con.execute("select current_setting('memory_limit')").fetchall()[0][0] == "91.5 MiB"  # 96 MB
        assert con.execute("select count(*) from funds").fetchall()[0][0] == funds > 0
        with pytest.raises(duckdb.Error, match="read-only|read only"):
            con.execute("create table scribble (i int)")
    with db.reading(catalogue_db) as kiosk:  # the kiosk's instance keeps its own setting
        assert kiosk.execute("select current_setting('memory_limit')").fetchall()[0][0] == kiosk_limit != "91.5 MiB"
    sample = SAMPLE / "payments_utf8_bom.csv"
    used: list[Path] = []
    real = db.checking
    monkeypatch.setattr(db, "checking", lambda path: (used.append(path), real(path))[1])
    job = check_job.start(catalogue_db, "payments", sample, "p.csv", "t")
    assert job.wait(120) and job.error is None and job.outcome.status == "valid", job.outcome
    assert used == [catalogue_db]  # the page's check went through it


def test_a_lookup_cursor_is_reused_until_an_error_or_a_new_snapshot(fresh_db: Path) -> None:
    """Kiosk reads (reuse=True) take the same cursor again rather than a new DuckDB connection each;
    a block that failed gives its cursor up, and a new snapshot closes the old one's cursors."""
    with db.reading(fresh_db, reuse=True) as first:
        pass
    with db.reading(fresh_db, reuse=True) as again:
        assert again is first
    with db.reading(fresh_db) as own:  # other readers keep a cursor of their own, closed after
        assert own is not first
    with pytest.raises(duckdb.Error), db.reading(fresh_db, reuse=True) as failing:
        assert failing is first
        failing.execute("select * from no_such_table")
    with pytest.raises(duckdb.ConnectionException):
        first.execute("select 1")  # closed, not given back: it might hold what the error left
    with db.reading(fresh_db, reuse=True) as fresh:
        assert fresh is not first
        old_snap = db.path_of(fresh)
    _note(fresh_db, 1)
    with db.reading(fresh_db, reuse=True) as newer:
        assert newer is not fresh and newer.execute("select count(*) from ingest_log").fetchall() == [(1,)]
    with pytest.raises(duckdb.ConnectionException):
        fresh.execute("select 1")  # the old snapshot's idle cursor went with it
    assert not old_snap.exists()


def test_lookups_read_on_an_instance_of_one_thread_and_other_readers_keep_every_thread(fresh_db: Path) -> None:
    """A kiosk lookup on an optimized (here empty) table reads one row group at most: its cursor
    (reuse=True) reads the snapshot on an instance of one thread, where a second would be woken for
    nothing; the auditors' scans (their own cursors) keep every thread DuckDB gives an instance. Both
    read the published snapshot, and a publish moves both."""
    default = duckdb.connect(":memory:").execute("select current_setting('threads')").fetchall()
    with db.reading(fresh_db, reuse=True) as kiosk:
        assert kiosk.execute("select current_setting('threads')").fetchall() == [(1,)]
        kiosk_snap = db.path_of(kiosk)
    with db.reading(fresh_db) as auditor:
        assert auditor.execute("select current_setting('threads')").fetchall() == default
        assert db.path_of(auditor) == kiosk_snap == snapshots.current(fresh_db)
    _note(fresh_db, 1)
    assert _attempts(fresh_db, reuse=True) == 1 == _attempts(fresh_db)
    assert not kiosk_snap.exists()  # both instances let go of the old file


def test_lookups_read_on_the_shared_connection_when_the_snapshot_cannot_be_attached_again(fresh_db: Path) -> None:
    """The lookups' instance attaches the snapshot file a second time. If that file is gone from under
    the open shared connection (a clean-up of the folder, say), lookups go on reading as the auditors
    do rather than failing while the auditors answer."""
    _note(fresh_db, 1)
    with db.reading(fresh_db) as auditor:
        snap = db.path_of(auditor)
        snap.unlink()
        assert auditor.execute("select count(*) from ingest_log").fetchall() == [(1,)]
    with db.reading(fresh_db, reuse=True) as kiosk:
        assert kiosk.execute("select count(*) from ingest_log").fetchall() == [(1,)]
    _note(fresh_db, 2)  # and a publish moves on from it as from any other
    assert _attempts(fresh_db, reuse=True) == 2 == _attempts(fresh_db)


def test_a_forked_child_keeps_its_parents_connections_and_idle_cursors_unclosed(fresh_db: Path) -> None:
    """A child process (a fork, as some servers start workers) must not close or free what belongs to
    the parent's DuckDB instance: the shared connection and the idle lookup cursors are kept aside;
    nor does it read in the snapshots it opens, as the parent server asked for itself."""
    import os

    from funds import readers

    with db.reading(fresh_db, reuse=True) as cur:
        pass
    parent_reader = readers._open[fresh_db]
    readers.on_open(lambda con: None)  # a server's: its children are not servers
    pid = os.fork()
    if pid == 0:  # the child: report by exit status only
        ok = (not readers._open and parent_reader.con in readers._inherited
              and parent_reader.point in readers._inherited
              and any(c is cur for c in readers._inherited) and readers._on_open is None)
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    with db.reading(fresh_db, reuse=True) as again:  # the parent goes on with its own
        assert again is cur and _attempts(fresh_db) == 0


def test_work_asked_for_runs_once_on_each_snapshot_opened_on_a_thread_of_its_own(fresh_db: Path) -> None:
    """A server's `on_open` work (the kiosk reads its lookup columns in) runs beside the readers, not
    in their way, once per snapshot; it sees the snapshot it was asked for."""
    from funds import readers

    seen: list[tuple[str, int, int]] = []

    def work(con: duckdb.DuckDBPyConnection) -> None:  # its threads: 1 on the lookups' instance, which it reads in
        seen.append((threading.current_thread().name, *con.execute(
            "select count(*), current_setting('threads') from ingest_log").fetchall()[0]))

    readers.on_open(work)
    assert _attempts(fresh_db, reuse=True) == 0
    assert readers.wait_opened(fresh_db, 30)
    assert _attempts(fresh_db) == 0  # the same snapshot: no work again
    _note(fresh_db, 1)
    assert _attempts(fresh_db) == 1
    assert readers.wait_opened(fresh_db, 30)
    assert seen == [("funds-snapshot-open", 0, 1), ("funds-snapshot-open", 1, 1)]
    readers.on_open(None)
    _note(fresh_db, 2)
    assert _attempts(fresh_db) == 2 and readers.wait_opened(fresh_db, 0) and len(seen) == 2


def test_a_newer_snapshot_interrupts_the_work_on_the_old_one(fresh_db: Path) -> None:
    """Work still running on a snapshot (a province's lookup columns take seconds to read) must not
    keep that snapshot open once a newer one is published: it is interrupted and the file let go of."""
    from funds import readers

    started, ended = threading.Event(), threading.Event()
    failures: list[str] = []

    def endless(con: duckdb.DuckDBPyConnection) -> None:
        started.set()
        try:
            con.execute("select count(*) from range(1000000000000) a")
        except duckdb.InterruptException:
            ended.set()
            raise
        failures.append("not interrupted")

    readers.on_open(endless)
    _attempts(fresh_db)
    assert started.wait(30)
    old = readers._open[fresh_db]
    old_snap = old.snap
    readers.on_open(None)
    _note(fresh_db, 1)
    assert _attempts(fresh_db) == 1  # opens the new snapshot, which retires the old one
    assert old.warmed.wait(30) and ended.is_set() and not failures
    assert not old_snap.exists()


def test_a_process_that_ends_during_the_work_exits_cleanly(fresh_db: Path) -> None:
    """A server stopped while it reads a snapshot in (Ctrl-C, a restart) must exit, not abort in DuckDB:
    the work is interrupted and waited for before the connections close."""
    import subprocess
    import sys

    code = (
        "import sys, threading; from pathlib import Path; from funds import db, readers\n"
        "started = threading.Event()\n"
        "def endless(con):\n"
        "    started.set(); con.execute('select count(*) from range(1000000000000) a')\n"
        "readers.on_open(endless)\n"
        "with db.reading(Path(sys.argv[1])) as con: con.execute('select 1')\n"
        "assert started.wait(30)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(fresh_db)], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "terminate called" not in proc.stderr
