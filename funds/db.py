"""The one module that owns DuckDB connections, migrations and the named SQL files."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from funds import keys, readers, redaction, settings, snapshots
from funds.errors import FundsError, NotInitialised

redaction.install()  # everything that touches the database logs through redacted records

_MIGRATION = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@cache
def query_text(name: str) -> str:
    """The text of funds/sql/queries/<name>.sql."""
    return resources.files("funds.sql.queries").joinpath(f"{name}.sql").read_text("utf-8")


# columns a table derives from its other columns (migration 0005): never in a sheet, never loaded
DERIVED_COLUMNS = frozenset({"lookup_row"})


def stored_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The columns of `table` (an allow-listed name) that a load writes, in table order."""
    return [r[0] for r in con.execute(f'describe "{table}"').fetchall() if r[0] not in DERIVED_COLUMNS]


def migrations() -> list[tuple[int, str]]:
    """Every numbered migration, in order, as (version, sql)."""
    found = []
    for entry in resources.files("funds.sql.migrations").iterdir():
        m = _MIGRATION.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.read_text("utf-8")))
    return sorted(found)


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply the migrations this database has not had yet; returns how many were applied."""
    con.execute("create table if not exists schema_version (version integer primary key, applied_at timestamp)")
    have = {r[0] for r in con.execute("select version from schema_version").fetchall()}
    applied = 0
    for version, sql in migrations():
        if version in have:
            continue
        con.execute("begin")
        try:
            con.execute(sql)
            con.execute("insert into schema_version values ($v, now())", {"v": version})
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
        applied += 1
    return applied


def _locked(path: Path) -> FundsError:
    return FundsError(
        f"数据库 {path} 正被另一个程序写入（例如正在导入）。请稍后再试。",
        f"The database {path} is being written by another process (an ingest, perhaps). Try again shortly.",
        f"데이터베이스 {path}에 다른 프로그램이 쓰고 있습니다. 잠시 후 다시 시도하십시오.",
    )


WRITE_WAIT_SECONDS = 15.0  # a writer waits this long for another writer (or a recovering reader) to finish


def connect(path: Path, read_only: bool = False, wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the database; read-only opens require an existing, initialised file.

    A writable open waits up to `wait` seconds (default WRITE_WAIT_SECONDS) while another
    process holds the file, then says so in the user's language.
    """
    if read_only and not path.exists():
        raise NotInitialised(
            f"数据库 {path} 不存在。请先运行 funds init 或 funds demo。",
            f"The database {path} does not exist. Run `funds init` or `funds demo` first.",
            f"데이터베이스 {path}이(가) 없습니다. funds init 또는 funds demo를 먼저 실행하십시오.",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + (0.0 if read_only else WRITE_WAIT_SECONDS if wait is None else wait)
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if read_only:
                fallback = _published_instead(path)
                if fallback is not None:
                    return fallback
            if time.monotonic() >= deadline:
                raise _locked(path) from None
            time.sleep(0.05)


def _published_instead(path: Path) -> duckdb.DuckDBPyConnection | None:
    """A writer holds `path`: the last published snapshot, read-only (None if there is none).

    For callers that open the main file read-only themselves rather than through `reading`:
    during an ingest they see the state before it instead of a lock error. Nothing pins the
    snapshot, which is harmless: on Linux a cleaned file stays readable while it is open.
    """
    for _ in range(20):
        snap = snapshots.current(path)
        if snap is None:
            return None
        try:
            return duckdb.connect(str(snap), read_only=True)
        except duckdb.IOException:
            time.sleep(0.01)  # cleaned between reading CURRENT and opening it: read CURRENT again
    return None


def initialise(path: Path) -> tuple[bool, bool]:
    """Create the database (migrated) and its HMAC key; returns (db_created, key_created)."""
    existed = path.exists()
    key_created = keys.create(settings.secret_path(path))
    con = connect(path)
    try:
        if migrate(con) or snapshots.needs_publish(path):
            publish(con, path)
    finally:
        con.close()
    return (not existed, key_created)


def path_of(con: duckdb.DuckDBPyConnection) -> Path:
    """The file a connection has open."""
    return Path(con.execute(
        "select path from duckdb_databases() where database_name = current_database()").fetchall()[0][0])


def begin_change(con: duckdb.DuckDBPyConnection) -> None:
    """Call on the write connection before a change readers must see: marks the snapshot stale."""
    snapshots.mark_dirty(path_of(con))


def publish(con: duckdb.DuckDBPyConnection, path: Path | None = None) -> Path:
    """Call on the write connection after a committed change: readers switch to a new snapshot."""
    path = path or path_of(con)
    snap = snapshots.publish(con, path)
    snapshots.clear_dirty(path)
    return snap


def publish_pending(con: duckdb.DuckDBPyConnection, path: Path | None = None) -> Path | None:
    """`publish` when readers do not see what the main file holds (changes made with their publish
    left for later, or no snapshot yet); None when there was nothing to publish."""
    path = path or path_of(con)
    return publish(con, path) if snapshots.needs_publish(path) else None


def recover(path: Path) -> bool:
    """Republish when a writer died between its commit and its snapshot; True if this call did it."""
    if not snapshots.orphaned(path):
        return False
    try:
        con = duckdb.connect(str(path))  # opening replays the WAL of the dead writer
    except duckdb.IOException:
        return False  # a new writer holds the file; it publishes when done
    try:
        if snapshots.orphaned(path):
            publish(con, path)
            return True
        return False
    finally:
        con.close()


def _first_snapshot(path: Path) -> None:
    """A database copied in or made before snapshots has none: publish one, so readers never hold the main file.

    (A reader on the main file would block the next writer: in another process by the file
    lock, in this one because DuckDB will not open one file read-only and read-write at once.)
    When a writer holds the file it publishes when done, so this quietly does nothing.
    """
    if readers.serving(path) or snapshots.current(path) is not None:  # the first: a stat, for every read
        return
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error:
        return
    try:
        if snapshots.current(path) is None:
            publish(con, path)
    finally:
        con.close()


@contextmanager
def writing(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A migrated write connection whose changes readers see once the block ends (a new snapshot)."""
    con = connect(path)
    try:
        migrate(con)
        snapshots.mark_dirty(path)
        try:
            yield con
        finally:
            publish(con, path)
    finally:
        con.close()


def _published(path: Path) -> None:
    """Before reading `path`: it exists (else NotInitialised says what to do) and has its newest snapshot published."""
    if not os.access(path, os.F_OK):
        connect(path, read_only=True)  # raises NotInitialised with what to do
    recover(path) or _first_snapshot(path)


@contextmanager
def reading(path: Path, reuse: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only cursor for queries, closed afterwards (given back for reuse with `reuse`: see readers.cursor).

    It reads the newest published snapshot, so it never waits for an ingest and sees either
    all of a load or none of it. The snapshot's connection is opened once and shared by this
    process's readers (funds/readers.py); without any snapshot (a database from before
    snapshots, not yet written to) it opens the main file read-only for this call only.
    """
    _published(path)
    with readers.cursor(path, reuse) as cur:
        if cur is not None:
            yield cur
            return
    con = connect(path, read_only=True)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def checking(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection for a dry-run check of an upload: the newest snapshot, attached read-only to a
    private DuckDB instance with the ingest's memory limit.

    A check holds the upload's rows in temp tables. On a cursor of the readers' shared
    connection (`reading`) that memory would come, without a limit, out of the instance that
    serves every kiosk lookup; here it is bounded by `ingest_memory_mb` and spills beside the
    database, as a load does. The snapshot stays pinned (no publisher deletes it) until the
    block ends. Without any snapshot it is `reading`.
    """
    _published(path)
    with snapshots.pinned(path) as snap:
        if snap is None:
            with reading(path) as con:
                yield con
            return
        con = duckdb.connect(":memory:")
        try:
            limit_memory(con, path)
            con.execute(f"attach '{_literal(snap)}' as snapshot (read_only)")
            con.execute("use snapshot")
            yield con
        finally:
            con.close()


def limit_memory(con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
    """Bound what one upload's check or load may hold in memory (a 5M-row file must not need 5 GB):
    DuckDB spills the rest to a folder beside the database (same disk, same permissions), which it empties."""
    con.execute(f"set memory_limit = '{settings.get_int('ingest_memory_mb')}MB'")
    con.execute(f"set temp_directory = '{_literal(db_path.with_name(db_path.name + '.tmp'))}'")


def _literal(path: Path) -> str:
    """A path as the inside of a SQL string literal (ATTACH and SET take no bound parameters)."""
    return str(path).replace("'", "''")


def fetch_dicts(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run a named query with bound parameters and return its rows as dicts."""
    cur = con.execute(query_text(name), params or {})
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def fetch_cached(con: duckdb.DuckDBPyConnection, name: str, by: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """A named query without parameters, run once per published snapshot (which never changes),
    as its rows keyed by the columns `by`.

    For small facts every lookup needs (live batches, the fund catalogue): planning even a tiny
    query costs about a millisecond, and building the dict again ~0.05 ms of a ~1 ms lookup.
    Callers must not change the rows. On a connection that is not a shared snapshot reader
    (the main file, a test's own) it simply runs the query.
    """
    memo = readers.memo(con)
    if memo is not None and (name, by) in memo:
        rows: dict[tuple[Any, ...], dict[str, Any]] = memo[name, by]
        return rows
    rows = {tuple(r[c] for c in by): r for r in fetch_dicts(con, name)}
    if memo is not None:
        memo[name, by] = rows  # two threads may both run it first: same rows, harmless
    return rows
