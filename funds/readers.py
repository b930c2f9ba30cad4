"""One read-only connection per published snapshot, shared by every reader in this process.

Opening a DuckDB file costs ~35 ms; a kiosk lookup on an open one ~1-5 ms. So the first reader
of a snapshot opens it, holding the shared lock on its `.readers` file (no publisher deletes it
meanwhile), and every later reader takes a cursor of that connection: a DuckDB connection is
not safe across threads, its cursors are (one each). Every call stats CURRENT: once a newer
snapshot is published, new readers open that one, and the old connection is closed when its
last cursor comes back, which lets go of its lock and deletes the old file if nobody else holds it.

Only snapshots are kept open, never the main file: in one process DuckDB will not open a file
read-only and read-write at once, so a cached connection to it would block this process's writer.

Kiosk lookups (cursors given back for reuse) read the snapshot through a second DuckDB instance
(`_point`), of one thread where a lookup reads one row group (a second thread only costs it the
waking). The auditors' scans keep every thread on the shared connection.

A long-running server can also ask (`on_open`) for work to run on each snapshot it opens, on a
thread of its own: the kiosk reads the columns its lookups touch into the lookups' instance, so
that no lookup waits for DuckDB to load a block from the file. A newer snapshot interrupts that
work on the old one.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections.abc import Callable, Iterator
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
    con: duckdb.DuckDBPyConnection  # every reader's but the lookups', on all of DuckDB's threads
    fd: int  # holds the shared lock on the snapshot's .readers file
    point: duckdb.DuckDBPyConnection | None = None  # the lookups' instance of one thread (`_point`), once asked for
    opening: threading.Lock = field(default_factory=threading.Lock)  # one `_point` open at a time
    users: int = 0
    retired: bool = False
    memo: dict[Any, Any] = field(default_factory=dict)  # facts of this snapshot (it never changes), by any key
    idle: list[duckdb.DuckDBPyConnection] = field(default_factory=list)  # cursors of `point` given back for reuse
    warming: duckdb.DuckDBPyConnection | None = None  # the cursor of the `on_open` work, while it runs
    warmed: threading.Event = field(default_factory=threading.Event)  # set once that work has ended (or none was asked)
    worker: threading.Thread | None = None  # the thread of that work: joined at exit, see `clear`


_lock = threading.Lock()  # guards _open and every reader's users/retired
_opening = threading.Lock()  # one open at a time: threads that see a new snapshot together share one connection
_open: dict[Path, _Reader] = {}
_inherited: list[duckdb.DuckDBPyConnection] = []
_lent: dict[int, _Reader] = {}  # id(cursor) -> its reader, while the cursor is out (dict updates are atomic)
IDLE_CURSORS = 8  # per snapshot: about the number of threads that look up at once
_on_open: Callable[[duckdb.DuckDBPyConnection], None] | None = None
_point_config: Callable[[duckdb.DuckDBPyConnection], dict[str, Any]] | None = None  # see point_config


def on_open(work: Callable[[duckdb.DuckDBPyConnection], None] | None) -> None:
    """Run `work` on a cursor of every snapshot this process opens from now on, on a thread of its own.

    For a long-running server (the app); None stops it. `work` may be interrupted (a newer
    snapshot retires this one, or the process ends): DuckDB then raises in it, and that ends
    it quietly. It must leave nothing on its cursor.
    """
    global _on_open
    _on_open = work


def point_config(decide: Callable[[duckdb.DuckDBPyConnection], dict[str, Any]] | None) -> None:
    """The DuckDB settings of the lookups' instance (`_open_point`) of each snapshot opened from now on:
    `decide` is asked once per snapshot, on a cursor of its shared connection (`memo` serves it).
    Without it, or when it raises a DuckDB error: one thread (a point query reads one row group) and
    DuckDB's memory limit."""
    global _point_config
    _point_config = decide


def wait_opened(db: Path, timeout: float | None = None) -> bool:
    """Wait until the `on_open` work on the open snapshot of `db` has ended; False on timeout.

    True at once when no snapshot of `db` is open or no work was asked for it.
    """
    reader = _open.get(db)
    return reader is None or reader.warmed.wait(timeout)


@contextmanager
def cursor(db: Path, reuse: bool = False) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A cursor on the current snapshot of `db`, closed afterwards (None when no snapshot is published).

    With `reuse`, the cursor is taken from the snapshot's idle ones and given back after a block
    that no exception left (else closed): for callers that run only their own queries and leave
    nothing on it (no temp objects, settings or open transaction), i.e. kiosk lookups. Such a
    cursor reads the snapshot on an instance of its own (`_point`), for point queries. An error
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
        return _point_cursor(reader)


POINT_CATALOG = "snapshot"  # the snapshot's name in the lookups' instance


def _point(reader: _Reader) -> duckdb.DuckDBPyConnection:
    """The lookups' instance (`_open_point`), opened on first use: a process that never looks anyone up
    never opens it."""
    point = reader.point
    if point is None:
        with reader.opening:
            point = reader.point
            if point is None:
                point = reader.point = _open_point(reader)
    return point


def _open_point(reader: _Reader) -> duckdb.DuckDBPyConnection:
    """The snapshot attached read-only to a DuckDB instance of its own, of one thread unless
    `point_config` says otherwise; the shared connection itself when the snapshot cannot be attached
    again (its file gone from under the open connection, say): lookups then read as the auditors do.

    A kiosk lookup on an optimized table reads one row group. On an instance of two threads it also
    paid for waking the second, which found no work: ~0.06-0.08 ms of a ~0.55 ms query at 10M rows.
    `threads` is a setting of a whole instance, and the auditors' scans on `con` need both cores.
    """
    config: dict[str, Any] = {"threads": 1}
    if _point_config is not None:
        probe = reader.con.cursor()
        _lent[id(probe)] = reader  # so that `memo` serves it: what it learns, the lookups need not ask again
        try:
            config = _point_config(probe)
        except duckdb.Error:
            pass  # one thread, DuckDB's memory limit
        finally:
            del _lent[id(probe)]
            probe.close()
    try:  # where the shared connection would spill (nothing a lookup does spills): not the working folder
        point = duckdb.connect(":memory:", config={"temp_directory": f"{reader.snap}.tmp", **config})
    except duckdb.Error:
        return reader.con
    try:
        literal = str(reader.snap).replace("'", "''")  # ATTACH takes no bound parameters
        point.execute(f"attach '{literal}' as {POINT_CATALOG} (read_only)")
    except duckdb.Error:
        point.close()
        return reader.con
    return point


def _point_cursor(reader: _Reader) -> duckdb.DuckDBPyConnection:
    """A cursor of the lookups' instance that reads the snapshot (a cursor does not inherit `use`)."""
    point = _point(reader)
    cur = point.cursor()
    if point is not reader.con:
        try:
            cur.execute(f"use {POINT_CATALOG}")
        except BaseException:
            cur.close()
            raise
    return cur


def memo(con: duckdb.DuckDBPyConnection) -> dict[Any, Any] | None:
    """A dict that lives as long as the snapshot `con` reads stays open (None: `con` is not from `cursor`)."""
    reader = _lent.get(id(con))
    return None if reader is None else reader.memo


def serving(db: Path) -> bool:
    """True when this process has the current snapshot of `db` open (so it exists: it is pinned). One stat."""
    reader = _open.get(db)
    return reader is not None and reader.stamp == snapshots.stamp(db)


def clear() -> None:
    """Close every cached connection (those in use close when their last cursor comes back); for tests
    and at exit, where interrupted `on_open` work is waited for (a DuckDB instance must not be torn
    down under a running query)."""
    with _lock:
        readers = list(_open.values())
        _open.clear()
        idle = [r for r in readers if _retire(r)]
    for reader in idle:
        _close(reader)
    for reader in readers:
        deadline = time.monotonic() + 10
        while not reader.warmed.wait(0.05) and time.monotonic() < deadline:
            with _lock:  # again: an interrupt that comes before its query starts is lost
                if reader.warming is not None:
                    reader.warming.interrupt()
        if reader.worker is not None and reader.worker is not threading.current_thread():
            # its thread ends after `warmed`, letting go of the connection's last references as it does:
            # an interpreter that began to shut down meanwhile stops that thread inside DuckDB, which
            # aborts the process ("terminate called ... exception not rethrown")
            reader.worker.join(max(deadline - time.monotonic(), 0.1))


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
        work = _on_open
        with _lock:
            old = _open.pop(db, None)
            if fresh is not None:
                fresh.users += 1 + (work is not None)  # the work's own use, given back when it ends
                _open[db] = fresh
            idle = old is not None and _retire(old)
    if old is not None and idle:
        _close(old)
    if fresh is not None:
        if work is None:
            fresh.warmed.set()
        else:
            fresh.worker = threading.Thread(target=_run_on_open, args=(fresh, work), name="funds-snapshot-open",
                                            daemon=True)
            fresh.worker.start()
    return fresh


def _run_on_open(reader: _Reader, work: Callable[[duckdb.DuckDBPyConnection], None]) -> None:
    """`on_open` work on its own cursor; a newer snapshot or the process's end interrupts it."""
    try:
        with _lock:
            if reader.retired:  # a newer snapshot came first: nothing to open for
                return
        try:
            cur = _point_cursor(reader)  # what the lookups read, in their instance's memory
        except duckdb.Error:
            return  # a cursor could not be made: each lookup says why on its own
        _lent[id(cur)] = reader  # so that `memo` serves it too
        with _lock:
            stop = reader.retired
            reader.warming = None if stop else cur
        try:
            if not stop:
                work(cur)
        except duckdb.Error:
            pass  # interrupted, or a snapshot from before what the work reads: lookups read from the file
        finally:
            with _lock:
                reader.warming = None
            del _lent[id(cur)]
            cur.close()
    finally:
        try:
            _release(reader)  # the last user of a retired snapshot closes it and lets its file go
        finally:
            reader.warmed.set()


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
    """Mark a reader as superseded (call under _lock); True when nobody uses it, so the caller closes it.

    Its `on_open` work, if still running, is interrupted: it is given back as soon as DuckDB stops
    (or, when the interrupt came just before its query started, once it ends).
    """
    reader.retired = True
    if reader.warming is not None:
        reader.warming.interrupt()
    return reader.users == 0


def _close(reader: _Reader) -> None:
    try:
        while reader.idle:
            reader.idle.pop().close()
        if reader.point is not None and reader.point is not reader.con:
            reader.point.close()
        reader.con.close()
    finally:
        snapshots.unpin(reader.fd)
    snapshots.discard(reader.db, reader.snap)


def _forget_after_fork() -> None:
    """A forked child must not share its parent's connections or keep its locks after the parent lets go;
    nor is it the server that asked for `on_open` work."""
    global _lock, _opening, _on_open
    _lock, _opening, _on_open = threading.Lock(), threading.Lock(), None
    for reader in _open.values():
        os.close(reader.fd)
        _inherited.append(reader.con)  # kept, never closed: its threads and state belong to the parent
        if reader.point is not None and reader.point is not reader.con:
            _inherited.append(reader.point)
        _inherited.extend(reader.idle)  # its idle cursors too: freeing one here would touch the parent's instance
    _open.clear()
    _lent.clear()


os.register_at_fork(after_in_child=_forget_after_fork)
atexit.register(clear)
