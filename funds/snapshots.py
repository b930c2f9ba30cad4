"""Read-only snapshots of the database, so lookups keep answering while an ingest writes.

DuckDB lets one process write a file or many processes read it, never both. The writer
(an ingest) therefore works on the main file and, after each committed load (or run of
loads), publishes an immutable copy under `<db>.snapshots/`: checkpoint, copy the file while still holding the
write connection (no other writer can exist), check the copy, then switch the `CURRENT`
pointer with write-temp + os.replace. Readers open the snapshot `CURRENT` names, holding a
shared flock on its `.readers` side file (funds/readers.py keeps one connection per process
open while it is current); the publisher, or the last reader to let go, deletes an old
snapshot only when it can take that lock exclusively, i.e. when no reader uses it.

A `DIRTY` marker (holding the writer's pid and start time) is written before a load starts
and removed after its snapshot is published. If the writer dies in between, the next
reader or writer sees a marker whose process is gone and republishes from the main file.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

POINTER = "CURRENT"
_FICLONE = 0x40049409  # Linux ioctl: the new file shares the old one's blocks, copied only when either changes
DIRTY = "DIRTY"
_SNAP = re.compile(r"^snap-(\d+)\.duckdb$")


def folder(db: Path) -> Path:
    """Where the snapshots of a database live."""
    return db.with_name(db.name + ".snapshots")


@functools.lru_cache(maxsize=64)
def _probes(db: Path) -> tuple[str, str]:
    """The paths of `db`'s CURRENT pointer and DIRTY marker as strings, for the stats every read makes.

    Every read checks both. Built with pathlib each time, between a kiosk's DuckDB queries,
    the checks cost ~0.2 ms of a ~1.3 ms lookup; two stats of ready strings cost ~0.03 ms.
    """
    return str(folder(db) / POINTER), str(folder(db) / DIRTY)


def _readers(snap: Path) -> Path:
    return snap.with_name(snap.name + ".readers")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def current(db: Path) -> Path | None:
    """The snapshot readers should open now, or None when none was published."""
    try:
        name = (folder(db) / POINTER).read_text("utf-8").strip()
    except OSError:
        return None
    if not _SNAP.match(name):
        return None
    snap = folder(db) / name
    return snap if snap.exists() else None


def state(con: duckdb.DuckDBPyConnection) -> list[int]:
    """A cheap fingerprint of what was committed: batches and ingest attempts so far."""
    row = con.execute(
        "select (select count(*) from batches), (select coalesce(max(batch_id), 0) from batches), "
        "(select count(*) from ingest_log), "
        "(select count(*) from batches where status = 'superseded')"
    ).fetchall()[0]
    return [int(v) for v in row]


# ---------------------------------------------------------------- the DIRTY marker

def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22: start time in clock ticks since boot


def mark_dirty(db: Path) -> None:
    """Record, durably, that this process is about to change the main file."""
    folder(db).mkdir(parents=True, exist_ok=True)
    pid = os.getpid()
    _write_atomic(folder(db) / DIRTY, json.dumps({"pid": pid, "start": _start_time(pid)}))


def clear_dirty(db: Path) -> None:
    """The main file and the current snapshot agree again."""
    try:
        (folder(db) / DIRTY).unlink()
    except FileNotFoundError:
        return
    _fsync_dir(folder(db))


def orphaned(db: Path) -> bool:
    """True when a writer marked the database dirty and then died before publishing."""
    marker = _probes(db)[1]
    if not os.access(marker, os.F_OK):  # the usual answer, asked by every read: one stat, no exception
        return False
    try:
        with open(marker, encoding="utf-8") as f:
            info = json.loads(f.read())
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        return True  # a torn marker: its writer cannot still be running
    pid = info.get("pid")
    if not isinstance(pid, int):
        return True
    return _start_time(pid) is None or _start_time(pid) != info.get("start")


def needs_publish(db: Path) -> bool:
    """True when readers would not see what the main file holds (no snapshot, or a dead writer's marker)."""
    return current(db) is None or (folder(db) / DIRTY).exists()


# ---------------------------------------------------------------- publishing (the writer)

def publish(con: duckdb.DuckDBPyConnection, db: Path) -> Path:
    """Checkpoint the main file, copy it to a new snapshot, switch CURRENT to it, clean old ones.

    `con` must be this process's write connection to `db` with no open transaction.
    """
    con.execute("checkpoint")
    where = folder(db)
    where.mkdir(parents=True, exist_ok=True)
    numbers = [int(m.group(1)) for p in where.iterdir() if (m := _SNAP.match(p.name))]
    seq = max(numbers, default=0) + 1
    tmp = where / f".tmp-{seq:06d}-{os.getpid()}.duckdb"
    clone_or_copy(db, tmp)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    expected = state(con)
    check = duckdb.connect(str(tmp), read_only=True)
    try:
        got = state(check)
    finally:
        check.close()
    if got != expected:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"snapshot copy does not match the database ({got} != {expected})")
    final = where / f"snap-{seq:06d}.duckdb"
    _readers(final).touch()
    os.replace(tmp, final)
    _write_atomic(where / POINTER, final.name + "\n")
    clean(db)
    return final


def clone_or_copy(src: Path, dst: Path) -> str:
    """Copy `src` to `dst`; "clone" when the file system made a copy-on-write clone, else "copy".

    On XFS (reflink, the default of recent mkfs.xfs) and btrfs a clone takes well under a
    millisecond and no space until either file changes, where a byte copy of a province's
    database would take seconds and its size again on every publish; elsewhere (ext4, tmpfs)
    the ioctl is refused and the bytes are copied.
    """
    try:
        with open(src, "rb") as source, open(dst, "wb") as target:
            fcntl.ioctl(target.fileno(), _FICLONE, source.fileno())
        return "clone"
    except OSError:
        shutil.copyfile(src, dst)
        return "copy"


def clean(db: Path) -> list[str]:
    """Delete snapshots that are not current and that no reader holds; returns their names."""
    where = folder(db)
    keep = current(db)
    removed = []
    if not where.exists():
        return removed
    for path in sorted(where.iterdir()):
        if path.name.startswith(".tmp-"):
            path.unlink(missing_ok=True)  # left by a publisher that died; only one writer exists
            continue
        if _SNAP.match(path.name) and path != keep and _remove_unused(path):
            removed.append(path.name)
    return removed


def discard(db: Path, snap: Path) -> bool:
    """Delete one snapshot a reader has just let go of, if it is not current and nobody else holds it."""
    return snap != current(db) and _remove_unused(snap)


def _remove_unused(snap: Path) -> bool:
    """Delete a snapshot and its `.readers` file when no reader holds it (True if deleted).

    Safe against a reader that read CURRENT before it changed: `pin` checks, once it holds
    the lock, that the snapshot still exists, and reads CURRENT again if not.
    """
    try:
        fd = os.open(_readers(snap), os.O_RDONLY)
    except FileNotFoundError:
        snap.unlink(missing_ok=True)
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False  # a reader still has it open; the next publish will try again
    snap.unlink(missing_ok=True)
    _readers(snap).unlink(missing_ok=True)
    os.close(fd)
    return True


# ---------------------------------------------------------------- reading

def stamp(db: Path) -> tuple[int, int, int] | None:
    """A cheap token that changes whenever CURRENT is rewritten (one stat), or None when there is none."""
    try:
        st = os.stat(_probes(db)[0])
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)  # os.replace gives every publish a new inode


def pin(db: Path, attempts: int = 50) -> tuple[Path, int] | None:
    """The current snapshot and an open descriptor holding its shared reader lock (None: no snapshot).

    No publisher deletes the snapshot until the caller closes the descriptor (`unpin`).
    """
    for _ in range(attempts):
        snap = current(db)
        if snap is None:
            return None
        try:
            fd = os.open(_readers(snap), os.O_RDONLY)
        except FileNotFoundError:
            time.sleep(0.01)
            continue  # cleaned between reading CURRENT and opening: read CURRENT again
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
        except BaseException:
            os.close(fd)
            raise
        if snap.exists():
            return snap, fd
        os.close(fd)
    raise RuntimeError(f"no stable snapshot of {db} after {attempts} attempts")


def unpin(fd: int) -> None:
    """Let go of a snapshot held by `pin`: publishers may delete it once it is not current."""
    os.close(fd)


@contextmanager
def pinned(db: Path, attempts: int = 50) -> Iterator[Path | None]:
    """The current snapshot, held so that no publisher deletes it while in use (None: no snapshot)."""
    held = pin(db, attempts)
    if held is None:
        yield None
        return
    snap, fd = held
    try:
        yield snap
    finally:
        unpin(fd)
