"""Short connections to the main database file for staff data (accounts, audit log).

They do not publish a reader snapshot: villagers' lookups never read these tables, and a
login must not cost a copy of the database. They wait while the file is busy.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from funds import db
from funds.errors import FundsError

# DuckDB refuses a read-write open while a read-only connection to the same file is open in this
# process ("different configuration"), and another process's writer holds the file lock.
_BUSY = ("different configuration", "lock")


def busy_error() -> FundsError:
    """The message when the database stays busy."""
    return FundsError("数据库正忙（正在导入或查询），请几秒钟后再试。",
                      "The database is busy (an import or a query is running). Try again in a few seconds.",
                      "데이터베이스가 사용 중입니다. 몇 초 후 다시 시도하십시오.")


def open_with_retry(open_fn, wait_seconds: float = 10.0):  # type: ignore[no-untyped-def]
    """Call `open_fn()` until it stops failing because the file is busy, for at most `wait_seconds`."""
    deadline = time.monotonic() + wait_seconds
    pause = 0.02
    while True:
        try:
            return open_fn()
        except (duckdb.Error, FundsError) as exc:
            text = str(exc).lower() if isinstance(exc, duckdb.Error) else exc.message("en").lower()
            if not any(word in text for word in _BUSY) and "being written" not in text:
                raise
            if time.monotonic() >= deadline:
                raise busy_error() from None
            time.sleep(pause)
            pause = min(pause * 2, 0.25)


@contextmanager
def staff_connection(path: Path, wait_seconds: float = 10.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to the main file, migrated, closed afterwards; waits while it is busy."""
    con = open_with_retry(lambda: db.connect(path), wait_seconds)
    try:
        db.migrate(con)
        yield con
    finally:
        con.close()
