"""Ingest while serving: readers open immutable snapshots, switched atomically, cleaned when unused."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from reliability_helpers import ROOT, popen_funds, run_funds

from funds import db, snapshots

READER = r"""
import json, sys, time
from pathlib import Path
from funds import db
path, stop = Path(sys.argv[1]), Path(sys.argv[2])
seen, errors, n = {}, [], 0
while not stop.exists():
    try:
        with db.reading(path) as con:
            row = con.execute(
                "select (select count(*) from batches where kind = 'payments' and status = 'loaded'), "
                "(select count(*) from payments), (select coalesce(sum(amount), 0)::varchar from payments)"
            ).fetchall()[0]
        key = json.dumps(list(row))
        seen[key] = seen.get(key, 0) + 1
    except Exception as exc:
        errors.append(repr(exc)[:300])
    n += 1
print(json.dumps({"seen": seen, "errors": errors[:20], "error_count": len(errors), "lookups": n}))
"""


def test_lookups_during_ingest_see_old_or_new_never_a_mix(tmp_path: Path) -> None:
    """A reader process loops over db.reading while another process ingests several files."""
    from pipelines import demo

    files = demo.write_files(tmp_path / "files", households=4000, seed=5, rows_per_file=5000)
    assert len(files.payments) >= 3
    path = tmp_path / "funds.duckdb"
    assert run_funds("ingest", "funds", str(files.funds), "--db", str(path)).returncode == 0
    stop = tmp_path / "stop"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    reader = subprocess.Popen([sys.executable, "-c", READER, str(path), str(stop)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        time.sleep(1.0)
        writer = popen_funds("ingest", "payments", *map(str, files.payments), "--db", str(path))
        # the CLI's own lookup keeps answering while the writer holds the main file
        cli = run_funds("report", "--year", "2007", "--json", "--db", str(path))
        assert cli.returncode == 0, cli.stderr
        assert writer.wait(timeout=300) == 0, writer.stderr.read() if writer.stderr else ""
        time.sleep(0.5)
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    result = json.loads(out)
    assert result["error_count"] == 0, result["errors"]
    # every state a reader may see: after 0, 1, 2 ... of the files
    with db.reading(path) as con:
        per_batch = con.execute(
            "select batch_id, count(*), sum(amount) from payments group by 1 order by 1").fetchall()
    states, rows, amount = [[0, 0, "0.00"]], 0, 0
    for i, (_, n, total) in enumerate(per_batch, 1):
        rows, amount = rows + n, amount + total
        states.append([i, rows, f"{amount:.2f}"])
    seen = [json.loads(k) for k in result["seen"]]
    for state in seen:
        assert state in states, f"a reader saw a mixed state {state}; allowed: {states}"
    assert len(seen) >= 2, f"the reader never saw the switch: {result}"
    assert result["lookups"] > 20


def test_pinned_snapshot_is_not_cleaned_until_released(fresh_db: Path) -> None:
    """A snapshot in use survives later publishes; once released, the next publish removes it."""
    with snapshots.pinned(fresh_db) as old:
        assert old is not None
        con = db.connect(fresh_db)
        try:
            db.publish(con, fresh_db)
            db.publish(con, fresh_db)
        finally:
            con.close()
        assert old.exists() and snapshots.current(fresh_db) != old
    con = db.connect(fresh_db)
    try:
        db.publish(con, fresh_db)
    finally:
        con.close()
    left = sorted(p.name for p in snapshots.folder(fresh_db).glob("snap-*.duckdb"))
    assert left == [snapshots.current(fresh_db).name]  # type: ignore[union-attr]


def test_writer_that_died_before_publishing_is_recovered_by_the_next_reader(fresh_db: Path) -> None:
    """A DIRTY marker whose process is gone: the next db.reading republishes from the main file."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    con = db.connect(fresh_db)
    try:
        con.execute("insert into ingest_log (attempt_id, attempted_at, kind, file_name, sha256, user_name, status, "
                    "rows, errors) values (99, now()::timestamp, 'funds', 'x.csv', 'ab', 'u', 'rejected', 0, 1)")
    finally:
        con.close()
    (snapshots.folder(fresh_db) / snapshots.DIRTY).write_text(json.dumps({"pid": dead.pid, "start": "1"}))
    assert snapshots.orphaned(fresh_db)
    with db.reading(fresh_db) as con:
        assert con.execute("select count(*) from ingest_log where attempt_id = 99").fetchall() == [(1,)]
    assert not (snapshots.folder(fresh_db) / snapshots.DIRTY).exists()


def test_live_writer_marker_is_left_alone(fresh_db: Path) -> None:
    """While the marking process lives, readers keep the published snapshot and do not touch the main file."""
    snapshots.mark_dirty(fresh_db)
    assert not snapshots.orphaned(fresh_db)
    assert not db.recover(fresh_db)
    snapshots.clear_dirty(fresh_db)


def test_readers_never_open_the_main_file_while_it_is_written(fresh_db: Path) -> None:
    """With a writer holding the main file in another process, db.reading still answers at once."""
    hold = subprocess.Popen([sys.executable, "-c",
                             "import duckdb,sys,time; c=duckdb.connect(sys.argv[1]); print('ok', flush=True); "
                             "time.sleep(30)", str(fresh_db)], stdout=subprocess.PIPE, text=True)
    try:
        assert hold.stdout is not None and hold.stdout.readline().strip() == "ok"
        started = time.perf_counter()
        with db.reading(fresh_db) as con:
            assert con.execute("select count(*) from batches").fetchall() == [(0,)]
        assert time.perf_counter() - started < 2
    finally:
        hold.kill()
        hold.wait()


def test_direct_read_only_connect_falls_back_to_the_snapshot_during_a_write(fresh_db: Path) -> None:
    """Code that opens the main file read-only itself gets the published state, not a lock error."""
    hold = subprocess.Popen([sys.executable, "-c",
                             "import duckdb,sys,time; c=duckdb.connect(sys.argv[1]); print('ok', flush=True); "
                             "time.sleep(30)", str(fresh_db)], stdout=subprocess.PIPE, text=True)
    try:
        assert hold.stdout is not None and hold.stdout.readline().strip() == "ok"
        con = db.connect(fresh_db, read_only=True)
        try:
            assert con.execute("select count(*) from batches").fetchall() == [(0,)]
            assert str(db.path_of(con)).startswith(str(snapshots.folder(fresh_db)))
        finally:
            con.close()
    finally:
        hold.kill()
        hold.wait()


# A folder on a file system with copy-on-write clones (XFS with reflink, btrfs), if the machine
# has one: the clone path is then tested for real (CI's ext4/tmpfs take the byte-copy path).
REFLINK_DIR = os.environ.get("FUNDS_TEST_REFLINK_DIR")


def _publish_then_change(path: Path) -> tuple[str, int, int]:
    """Load more into the main file while a reader holds the published snapshot: (how a copy in
    the snapshot folder is made here, payment rows the held snapshot shows after, rows loaded)."""
    from pipelines.ingest import ingest_file, open_for_ingest

    snap = snapshots.current(path)
    assert snap is not None
    method = snapshots.clone_or_copy(path, snap.with_name("probe.duckdb"))
    snap.with_name("probe.duckdb").unlink()
    with db.reading(path) as old:  # a kiosk reading the snapshot while the load runs
        con, key = open_for_ingest(path)
        try:
            assert ingest_file(con, key, "payments", ROOT / "sample_data" / "payments_gbk.csv", "t").status == "loaded"
            main_rows = con.execute("select count(*) from payment_rows").fetchall()[0][0]
        finally:
            con.close()
        return method, old.execute("select count(*) from payment_rows").fetchall()[0][0], main_rows


def test_a_snapshot_keeps_its_rows_when_the_main_file_changes(catalogue_db: Path) -> None:
    method, snapshot_rows, main_rows = _publish_then_change(catalogue_db)
    assert method in ("clone", "copy")
    assert snapshot_rows == 0 and main_rows > 0


@pytest.mark.skipif(not REFLINK_DIR, reason="set FUNDS_TEST_REFLINK_DIR to a folder on XFS (reflink) or btrfs")
def test_on_a_reflink_file_system_snapshots_are_clones_and_stay_apart(tmp_path: Path) -> None:
    import shutil

    from pipelines.ingest import ingest_file, open_for_ingest

    folder = Path(REFLINK_DIR) / tmp_path.name
    folder.mkdir(parents=True)
    try:
        path = folder / "r.duckdb"
        con, key = open_for_ingest(path)
        try:
            assert ingest_file(con, key, "funds", ROOT / "sample_data" / "funds.csv", "t").status == "loaded"
        finally:
            con.close()
        method, snapshot_rows, main_rows = _publish_then_change(path)
        assert method == "clone"
        assert snapshot_rows == 0 and main_rows > 0  # copy-on-write: the main file's change did not reach it
    finally:
        shutil.rmtree(folder, ignore_errors=True)
