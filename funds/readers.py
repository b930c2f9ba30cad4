"""One read-only connection per published snapshot, shared by every reader in this process.

Opening a DuckDB file costs ~35 ms; a kiosk lookup on an open one ~1-5 ms. So the first reader
of a snapshot opens it, holding the shared lock on its `.readers` file (no publisher deletes it
meanwhile), and every later reader takes a cursor of that connection: a DuckDB connection is
not safe across threads, its cursors are (one each). Every call stats CURRENT: once a newer
snapshot is published, new readers open that one, and the old connection is closed when its
last cursor comes back, which lets go of its lock and deletes the old file if nobody else holds it.

Only snapshots are kept open, never the main file: in one process DuckDB will not open a file
read-only and read-write at once, so a cached connection to it would block this process's writer.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from funds import snapshots


@dataclass(eq=False)
class _Reader:
    """An open snapshot: its connection, the lock that keeps the file, and how many cursors are out."""

    db: Path
    snap: Path
    stamp: tuple[int, int, int]  # CURRENT as it was when this snapshot was current
    con: duckdb.DuckDBPyConnection
    fd: int  # holds the shared lock on the snapshot's .readers file
    users: int = 0
    retired: bool = False
    memo: dict[Any, Any] = field(default_factory=dict)  # facts of this snapshot (it never changes), by any key
    idle: list[duckdb.DuckDBPyConnection] = field(default_factory=list)  # cursors given back for reuse


_lock = threading.Lock()  # guards _open and every reader's users/retired
_opening = threading.Lock()  # one open at a time: threads that see a new snapshot together share one connection
_open: dict[Path, _Reader] = {}
_inherited: list[duckdb.DuckDBPyConnection] = []
_lent: dict[int, _Reader] = {}  # id(cursor) -> its reader, while the cursor is out (dict updates are atomic)
IDLE_CURSORS = 8  # per snapshot: about the number of threads that look up at once


@contextmanager
def cursor(db: Path, reuse: bool = False) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A cursor on the current snapshot of `db`, closed afterwards (None when no snapshot is published).

    With `reuse`, the cursor is taken from the snapshot's idle ones and given back after a block
    that no exception left (else closed): for callers that run only their own queries and leave
    nothing on it (no temp objects, settings or open transaction), i.e. kiosk lookups. An error
    caught inside the block (household._packed on an old snapshot) leaves nothing either: each
    statement runs in its own transaction, rolled back when it fails.
    Making a cursor is a new DuckDB connection, ~0.05 ms of a ~1.3 ms lookup. A cursor is used by
    one thread at a time: list.pop and append are atomic.
    """
    reader = _acquire(db)
    if reader is None:
        yield None
        return
    try:
        cur = _take(reader) if reuse else reader.con.cursor()
        _lent[id(cur)] = reader
        clean = False
        try:
            yield cur
            clean = reuse
        finally:
            del _lent[id(cur)]
            if clean and len(reader.idle) < IDLE_CURSORS:
                reader.idle.append(cur)  # before _release: a reader is closed only once every user is back
            else:
                cur.close()
    finally:
        _release(reader)


def _take(reader: _Reader) -> duckdb.DuckDBPyConnection:
    try:
        return reader.idle.pop()
    except IndexError:
        return reader.con.cursor()


def memo(con: duckdb.DuckDBPyConnection) -> dict[Any, Any] | None:
    """A dict that lives as long as the snapshot `con` reads stays open (None: `con` is not from `cursor`)."""
    reader = _lent.get(id(con))
    return None if reader is None else reader.memo


def serving(db: Path) -> bool:
    """True when this process has the current snapshot of `db` open (so it exists: it is pinned). One stat."""
    reader = _open.get(db)
    return reader is not None and reader.stamp == snapshots.stamp(db)


def clear() -> None:
    """Close every cached connection (those in use close when their last cursor comes back); for tests."""
    with _lock:
        readers = list(_open.values())
        _open.clear()
        idle = [r for r in readers if _retire(r)]
    for reader in idle:
        _close(reader)


def _acquire(db: Path) -> _Reader | None:
    stamp = snapshots.stamp(db)
    if stamp is None:
        return None
    reader = _cached(db, stamp)
    if reader is not None:
        return reader
    with _opening:
        stamp = snapshots.stamp(db)  # again: another thread may have opened a newer one while this one waited
        if stamp is None:
            return None
        reader = _cached(db, stamp)
        if reader is not None:
            return reader
        fresh = _connect(db, stamp)  # outside _lock: readers of the open snapshot go on meanwhile
        with _lock:
            old = _open.pop(db, None)
            if fresh is not None:
                fresh.users += 1
                _open[db] = fresh
            idle = old is not None and _retire(old)
    if old is not None and idle:
        _close(old)
    return fresh


def _cached(db: Path, stamp: tuple[int, int, int]) -> _Reader | None:
    """The open reader of `db` if it is still the current snapshot, counted as in use."""
    with _lock:
        reader = _open.get(db)
        if reader is None or reader.stamp != stamp:
            return None
        reader.users += 1
        return reader


def _connect(db: Path, stamp: tuple[int, int, int]) -> _Reader | None:
    held = snapshots.pin(db)
    if held is None:
        return None
    snap, fd = held
    try:
        con = duckdb.connect(str(snap), read_only=True)
    except BaseException:
        snapshots.unpin(fd)
        raise
    return _Reader(db, snap, stamp, con, fd)


def _release(reader: _Reader) -> None:
    with _lock:
        reader.users -= 1
        idle = reader.retired and reader.users == 0
    if idle:
        _close(reader)


def _retire(reader: _Reader) -> bool:
    """Mark a reader as superseded (call under _lock); True when nobody uses it, so the caller closes it."""
    reader.retired = True
    return reader.users == 0


def _close(reader: _Reader) -> None:
    try:
        while reader.idle:
            reader.idle.pop().close()
        reader.con.close()
    finally:
        snapshots.unpin(reader.fd)
    snapshots.discard(reader.db, reader.snap)


def _forget_after_fork() -> None:
    """A forked child must not share its parent's connections or keep its locks after the parent lets go."""
    global _lock, _opening
    _lock, _opening = threading.Lock(), threading.Lock()
    for reader in _open.values():
        os.close(reader.fd)
        _inherited.append(reader.con)  # kept, never closed: its threads and state belong to the parent
        _inherited.extend(reader.idle)  # its idle cursors too: freeing one here would touch the parent's instance
    _open.clear()
    _lent.clear()


os.register_at_fork(after_in_child=_forget_after_fork)
atexit.register(clear)
