"""Check or load an upload (or optimize the table) on a worker thread, so the web server keeps answering lookups.

The check (a dry run) reads the newest snapshot through `db.checking` (its own memory-limited
DuckDB instance) and builds the marked XLSX when there are problems; the load and `optimize` take the writer's connection.
DuckDB and Arrow release the GIL for their heavy parts, so other sessions' lookups keep running.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from funds import compaction, db, keys, settings
from funds.errors import FundsError
from pipelines import marked_xlsx, read
from pipelines.ingest import Outcome, ingest_file, open_for_ingest, optimize_advice


@dataclass(kw_only=True)
class Background:
    """Work running on a thread for a page; poll `done`, then read `error` (and the subclass's result)."""

    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0
    error: FundsError | None = None
    _thread: threading.Thread | None = None
    _done: threading.Event = field(default_factory=threading.Event)

    @property
    def done(self) -> bool:
        """True once the work has finished (well or not)."""
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until finished (tests and scripts); True when done."""
        return self._done.wait(timeout)

    def _launch(self, work: Callable[[], None], name: str, what: str) -> None:
        """Run `work` on a thread: a FundsError is kept as it is, anything else logged and told in general terms."""
        def run() -> None:
            try:
                work()
            except FundsError as exc:
                self.error = exc
            except Exception:
                logging.getLogger("funds").exception("background %s failed", what)
                self.error = _unexpected()
            finally:
                self.seconds = time.monotonic() - self.started
                self._done.set()

        self._thread = threading.Thread(target=run, name=name, daemon=True)
        self._thread.start()


@dataclass(kw_only=True)
class Job(Background):
    """One check or load of an uploaded file."""

    kind: str
    path: Path
    name: str
    user: str
    load: bool
    replacing: int | None = None
    lang: str = "zh"
    outcome: Outcome | None = None
    marked: bytes | None = None
    advice: str | None = None  # after a load: run `funds optimize`, lookups read many row groups


@dataclass(kw_only=True)
class OptimizeJob(Background):
    """`funds optimize` started from the app (after a load that made lookups read many row groups)."""

    user: str
    result: dict[str, Any] | None = None  # what compaction.optimize reports


def _unexpected() -> FundsError:
    return FundsError("出现意外错误，未做任何更改。详情已写入日志。",
                      "An unexpected error occurred; nothing was changed. Details are in the log.",
                      "예기치 않은 오류가 발생했습니다. 아무것도 바뀌지 않았습니다.")


def _run(job: Job, db_path: Path) -> None:
    read.scan_every_sheet()  # a far cell in a big sheet would abort the server, and every kiosk with it
    if job.load:
        con, key = open_for_ingest(db_path)
        try:
            job.outcome = ingest_file(con, key, job.kind, job.path, job.user, replacing=job.replacing,
                                      original_name=job.name)
            if job.outcome.status == "loaded":
                _, job.advice = optimize_advice(con, job.kind, job.lang)
        finally:
            con.close()
        return
    key = keys.load(settings.secret_path(db_path))
    with db.checking(db_path) as con:
        job.outcome = ingest_file(con, key, job.kind, job.path, job.user, replacing=job.replacing,
                                  original_name=job.name, dry_run=True)
    report = job.outcome.report
    if job.outcome.status == "rejected" or report.warning_count:
        try:
            job.marked = marked_xlsx.build(job.path, report, job.lang, job.name)
        except FundsError:
            job.marked = None  # an unreadable file has no rows to mark; the report says why


def start(db_path: Path, kind: str, path: Path, name: str, user: str, *, load: bool = False,
          replacing: int | None = None, lang: str = "zh") -> Job:
    """Start checking (or, with load=True, loading) one uploaded file; returns at once."""
    job = Job(kind=kind, path=path, name=name, user=user, load=load, replacing=replacing, lang=lang)
    job._launch(lambda: _run(job, db_path), f"funds-{'load' if load else 'check'}",
                f"{'load' if load else 'check'} of {name}")
    return job


def start_optimize(db_path: Path, user: str) -> OptimizeJob:
    """Start `funds optimize` (compaction.optimize: the recent batches, or the whole table) on a thread.

    It waits for a running load like any writer; lookups keep reading the last snapshot meanwhile.
    """
    job = OptimizeJob(user=user)

    def work() -> None:
        job.result = compaction.optimize(db_path)

    job._launch(work, "funds-optimize", "optimize")
    return job
