"""Check or load an upload on a worker thread, so the web server keeps answering lookups meanwhile.

The check (a dry run) reads through `db.reading` (the readers' connection) and builds the
marked XLSX when there are problems; the load takes the writer's connection. DuckDB and
Arrow release the GIL for their heavy parts, so other sessions' lookups keep running.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from funds import db, keys, settings
from funds.errors import FundsError
from pipelines import marked_xlsx
from pipelines.ingest import Outcome, ingest_file, open_for_ingest, optimize_advice


@dataclass
class Job:
    """One check or load running in the background; poll `done`."""

    kind: str
    path: Path
    name: str
    user: str
    load: bool
    replacing: int | None = None
    lang: str = "zh"
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0
    outcome: Outcome | None = None
    error: FundsError | None = None
    marked: bytes | None = None
    advice: str | None = None  # after a load: run `funds optimize`, lookups read many row groups
    _thread: threading.Thread | None = None
    _done: threading.Event = field(default_factory=threading.Event)

    @property
    def done(self) -> bool:
        """True once the work has finished (well or not)."""
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until finished (tests and scripts); True when done."""
        return self._done.wait(timeout)


def _unexpected() -> FundsError:
    return FundsError("出现意外错误，未做任何更改。详情已写入日志。",
                      "An unexpected error occurred; nothing was changed. Details are in the log.",
                      "예기치 않은 오류가 발생했습니다. 아무것도 바뀌지 않았습니다.")


def _run(job: Job, db_path: Path) -> None:
    import logging

    try:
        if job.load:
            con, key = open_for_ingest(db_path)
            try:
                job.outcome = ingest_file(con, key, job.kind, job.path, job.user, replacing=job.replacing,
                                          original_name=job.name)
                if job.outcome.status == "loaded":
                    _, job.advice = optimize_advice(con, job.kind, job.lang)
            finally:
                con.close()
        else:
            key = keys.load(settings.secret_path(db_path))
            with db.reading(db_path) as con:
                job.outcome = ingest_file(con, key, job.kind, job.path, job.user, replacing=job.replacing,
                                          original_name=job.name, dry_run=True)
            report = job.outcome.report
            if job.outcome.status == "rejected" or report.warning_count:
                try:
                    job.marked = marked_xlsx.build(job.path, report, job.lang, job.name)
                except FundsError:
                    job.marked = None  # an unreadable file has no rows to mark; the report says why
    except FundsError as exc:
        job.error = exc
    except Exception:
        logging.getLogger("funds").exception("background %s of %s failed", "load" if job.load else "check", job.name)
        job.error = _unexpected()
    finally:
        job.seconds = time.monotonic() - job.started
        job._done.set()


def start(db_path: Path, kind: str, path: Path, name: str, user: str, *, load: bool = False,
          replacing: int | None = None, lang: str = "zh") -> Job:
    """Start checking (or, with load=True, loading) one uploaded file; returns at once."""
    job = Job(kind=kind, path=path, name=name, user=user, load=load, replacing=replacing, lang=lang)
    job._thread = threading.Thread(target=_run, args=(job, db_path), name=f"funds-{'load' if load else 'check'}",
                                   daemon=True)
    job._thread.start()
    return job
