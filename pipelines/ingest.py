"""Ingest: check an upload and, when it is valid, load it whole; the entry point for CLI and app."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from funds import codes, compaction, db, keys, redaction, settings, snapshots
from funds.errors import UsageError
from pipelines import load as loader
from pipelines import validate
from pipelines.header import guess_kind
from pipelines.read import ReadProblem, drop_raw, head_rows, sheets_mb
from pipelines.report import Issue, Report
from schemas.columns import KINDS


@dataclass
class Outcome:
    """What happened to one file: loaded, rejected or already_loaded, with its report."""

    path: str
    status: str
    batch_id: int | None
    report: Report

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        """The JSON form promised by `funds ingest --json`."""
        return {
            "path": self.path, "kind": self.report.kind, "status": self.status, "batch_id": self.batch_id,
            "rows": self.report.rows, "sha256": self.report.sha256,
            "errors": [i.as_dict(lang, self.report.kind) for i in self.report.errors],
            "error_count": self.report.error_count,
            "warnings": [i.as_dict(lang, self.report.kind) for i in self.report.warnings],
            "warning_count": self.report.warning_count,
            "seconds": round(self.report.seconds, 3),
        }


# A run of files that defers its publish folds its write-ahead log into the file between two files
# once the log passes this (~1.6M rows of county rosters, which stay in memory until then).
# DuckDB's own checkpoint, made inside a commit once the log passes `checkpoint_threshold`, is
# turned off for the writer: a county year loaded with it (16-80 MB) left a quarter of the file's
# blocks free (64-70 MB instead of 49 MB); a CHECKPOINT after the commit leaves none.
CHECKPOINT_MB = 256


def open_for_ingest(db_path: Path) -> tuple[duckdb.DuckDBPyConnection, bytes]:
    """Open (creating on first use) the database for writing, migrated, with its key."""
    if not db_path.exists():
        db.initialise(db_path)
    key = keys.load(settings.secret_path(db_path))
    con = db.connect(db_path)
    db.limit_memory(con, db_path)
    con.execute("set checkpoint_threshold = '1TiB'")  # a publish checkpoints, or _fold: see CHECKPOINT_MB
    if db.migrate(con) or snapshots.needs_publish(db_path):
        db.publish(con, db_path)  # first use, a new schema, or a writer that died before publishing
    return con, key


def optimize_advice(con: duckdb.DuckDBPyConnection, kind: str, language: str) -> tuple[int | None, str | None]:
    """After loading `kind`: `compaction.advice` (row groups a lookup reads, and whether to optimize),
    or (None, None) for kinds that add no payment rows."""
    if KINDS[kind].table != "payment_rows":
        return None, None
    return compaction.advice(con, language)


def _too_large(kind: str, path: Path, name: str) -> Report | None:
    """A rejection report when the upload is over `upload_max_mb`, else None."""
    limit = settings.get_int("upload_max_mb")
    try:
        size = path.stat().st_size
    except OSError:
        return None  # validate.prepare reports the unreadable file
    if size <= limit * 1024 * 1024:
        return None
    report = Report(kind=kind, path=name)
    report.add(Issue("file-too-large", value=f"{size / 1024 / 1024:.1f} MB", params=(("expected", f"{limit} MB"),)))
    return report


def ingest_file(con: duckdb.DuckDBPyConnection, key: bytes, kind: str, path: Path, user: str,
                replacing: int | None = None, original_name: str | None = None, dry_run: bool = False,
                publish: bool = True) -> Outcome:
    """Check one file and load it if valid; a rejected file changes nothing but the ingest log.

    `publish`: readers see a load at once (a new snapshot); False leaves the snapshot stale (marked
    so) for the caller to publish (`db.publish_pending`) once a run of files is done.
    """
    _usage(con, kind, replacing)
    return _finish(con, key, _prepare(con, key, kind, path, original_name, replacing), user, replacing, dry_run,
                   publish)


FOLDER_SUFFIXES = (".csv", ".tsv", ".xlsx", ".xls")  # what the templates name (and tab-separated CSV): notes (.txt, .docx) are left out


def spreadsheets(paths: list[Path]) -> list[Path]:
    """The files of a run: each file given, and the spreadsheets directly in each folder given
    (.csv, .tsv, .xlsx, .xls, by name; hidden files and Excel's ~$ lock files left out), each file once.

    Raises UsageError for a path that is neither a file nor a folder, a folder that cannot be
    listed or holds no spreadsheet, and a file name that is not text (bytes of another system's
    encoding: it could not be recorded with its batch)."""
    missing = [redaction.redact(str(p)) for p in paths if not (p.is_file() or p.is_dir())]
    if missing:
        names = ", ".join(missing)
        raise UsageError(f"找不到文件：{names}", f"File not found: {names}", f"파일을 찾을 수 없습니다: {names}")
    files: dict[Path, Path] = {}  # by the file it names: a file named twice (itself and in its folder) runs once
    for p in paths:
        if not p.is_dir():
            files.setdefault(p.resolve(), p)
            continue
        try:
            found = sorted(f for f in p.iterdir() if f.suffix.lower() in FOLDER_SUFFIXES
                           and not f.name.startswith((".", "~$")) and f.is_file())
        except OSError as exc:
            where = redaction.redact(str(p))
            raise UsageError(f"无法读取文件夹 {where}：{exc.strerror}", f"Cannot list folder {where}: {exc.strerror}",
                             f"폴더를 읽을 수 없습니다 {where}: {exc.strerror}") from None
        if not found:
            where = redaction.redact(str(p))
            raise UsageError(f"文件夹中没有表格文件（.csv、.tsv、.xlsx、.xls）：{where}",
                             f"No spreadsheet (.csv, .tsv, .xlsx, .xls) in folder: {where}",
                             f"폴더에 표 파일(.csv, .tsv, .xlsx, .xls)이 없습니다: {where}")
        for f in found:
            files.setdefault(f.resolve(), f)
    _text_names(list(files.values()))
    return list(files.values())


def _text_names(paths: list[Path]) -> None:
    """Refuse file names that are not text (undecodable bytes, e.g. a GBK name unpacked on Linux)."""
    bad = []
    for p in paths:
        try:
            p.name.encode("utf-8")
        except UnicodeEncodeError:
            bad.append(p.name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"))
    if bad:
        names = ", ".join(redaction.redact(n) for n in bad)
        raise UsageError(f"文件名不是有效文字，请重命名后再导入：{names}",
                         f"These file names are not valid text; rename the files and try again: {names}",
                         f"파일 이름이 올바른 문자가 아닙니다. 이름을 바꾼 뒤 다시 올리십시오: {names}")


LOAD_ORDER = tuple(KINDS)  # the fund catalogue first: every other kind names its funds


def plan(paths: list[Path]) -> list[tuple[str, list[Path]]]:
    """Files of every kind for one run (`funds ingest auto`): each file's kind told from its header
    (`header.guess_kind`, as the upload page guesses), grouped in LOAD_ORDER, each kind's files in
    the order given, so a county's year loads in one process, one `ingest_files` per kind.

    Reads each file's first rows (`read.head_rows`: a big workbook's sheets cut after them, `read.head_copy`).
    Raises UsageError naming every file whose kind cannot be told, or that cannot be read, before
    anything is loaded.
    """
    kinds: dict[str, list[Path]] = {}
    unknown: list[tuple[str, tuple[str, str] | None]] = []
    for path in paths:
        try:
            kind = guess_kind(head_rows(path))
        except ReadProblem as exc:  # kept as its code: the exception would hold the reader's frame
            unknown.append((redaction.redact(path.name), (exc.code, exc.detail)))
            continue
        if kind is None:
            unknown.append((redaction.redact(path.name), None))
        else:
            kinds.setdefault(kind, []).append(path)
    if unknown:
        raise UsageError(*(_unknown_kinds(lang, unknown) for lang in ("zh", "en", "ko")))
    return [(kind, kinds[kind]) for kind in LOAD_ORDER if kind in kinds]


_UNKNOWN_KIND = {
    "zh": ("无法判断以下文件是哪种表格，未导入任何文件：", "表头不像任何一种模板",
           "请核对表头（见模板说明），或指明类型分别导入，如 funds ingest payments 文件"),
    "en": ("Cannot tell which kind of sheet these files are; nothing was loaded:", "the header matches no template",
           "check their header rows against the templates, or name the kind, e.g. funds ingest payments FILE"),
    "ko": ("다음 파일이 어떤 표인지 알 수 없어 아무것도 올리지 않았습니다:", "머리글이 어느 양식과도 맞지 않습니다",
           "머리글을 양식과 대조하거나 종류를 지정하십시오(예: funds ingest payments 파일)"),
}


def _unknown_kinds(lang: str, files: list[tuple[str, tuple[str, str] | None]]) -> str:
    intro, no_match, fix = _UNKNOWN_KIND[lang]
    lines = [intro]
    for name, problem in files:
        why = codes.message(problem[0], lang, value=name, detail=problem[1]) if problem else no_match
        lines.append(f"  {name}: {why}")
    lines.append(fix)
    return "\n".join(lines)


OVERLAP_MAX_MB = 32  # files up to this size are checked while the file before them loads
# A workbook that calamine reads (a small one, or a sheet fastexcel cannot type column by column) is
# parsed into Python values whole: ~2.6 MB of them per MB of its sheets' XML (125 MB for a 125k-row
# roster, whose 6 MB file holds 48 MB of XML). Up to this much XML (~340k rows) it is checked beside
# the load of another; three bigger ones at once would hold gigabytes.
OVERLAP_MAX_SHEET_MB = 128
PREPARE_AHEAD = 2  # files prepared at once beside the one finishing: two cores kept busy, not 1.6


def ingest_files(con: duckdb.DuckDBPyConnection, key: bytes, kind: str, paths: list[Path], user: str,
                 replacing: int | None = None, dry_run: bool = False, publish: bool = True) -> Iterator[Outcome]:
    """`ingest_file` for each file in turn, with the same outcomes, the next file checked while one loads;
    readers see the run's loads together, in one snapshot published when it ends.

    A county roster's rows fit in one or two of DuckDB's row groups, and DuckDB scans a table a
    row group per thread: each statement of a check runs on one core. So while one file
    finishes (`validate.finish`: the checks against stored rows; then the load) the next
    PREPARE_AHEAD files are prepared (`validate.prepare`: read, normalise, the model, `staged`; it
    needs nothing stored but a `validate.Target`, read once here), each on a cursor of its own (a
    connection with its own temp tables). A file's checks against stored rows and its "already
    loaded" checksum run after the file before it has committed, so a file repeating its
    predecessor is found as before.

    Each load commits on its own, as in `ingest_file`, but is not published by itself: a publish
    (checkpoint, copy of the file, a check of the copy) took ~0.25 s a file at county size, a
    third of a county year's load, and its copy grows with the database where the file system
    cannot clone (ext4). When the run ends, or is stopped, what it loaded is published once
    (`publish` False: left to the caller, e.g. a run of several kinds); meanwhile the write-ahead
    log is checkpointed between files when it grows past CHECKPOINT_MB. A process that dies
    before the publish leaves the snapshot marked stale, and the next open of the database
    publishes it (`db.recover`).

    Files over OVERLAP_MAX_MB (whose statements already keep both cores busy, and whose temp
    tables would double the memory held), workbooks over OVERLAP_MAX_SHEET_MB of sheet XML, or a
    `replacing` run, go one by one.
    """
    try:
        yield from _each(con, key, kind, paths, user, replacing, dry_run)
    finally:
        if publish:
            db.publish_pending(con)


def _each(con: duckdb.DuckDBPyConnection, key: bytes, kind: str, paths: list[Path], user: str,
          replacing: int | None, dry_run: bool) -> Iterator[Outcome]:
    """The outcomes of `ingest_files`, loads committed and not published."""
    _usage(con, kind, replacing)
    wal = Path(f"{db.path_of(con)}.wal")
    if len(paths) < 2 or replacing is not None or not all(map(_overlaps, paths)):
        for path in paths:
            yield ingest_file(con, key, kind, path, user, replacing, dry_run=dry_run, publish=False)
            _fold(con, wal)
        return
    main = _identifier(con.execute("select current_database()").fetchall()[0][0])
    into = validate.target(con, kind)  # no file of this kind changes it
    con.execute(f"attach if not exists ':memory:' as {SCRATCH}")
    cursors = [con.cursor() for _ in range(PREPARE_AHEAD + 1)]  # file i on cursors[i % len(cursors)]
    lock = threading.Lock()  # held by a checkpoint; a file being prepared reads the database only outside it

    def prepare(i: int) -> _Prepared:
        cursor = cursors[i % len(cursors)]
        cursor.execute(f"use {SCRATCH}")
        return _prepare(cursor, key, kind, paths[i], None, None, into, _Reading(cursor, lock, main))

    def finish(prepared: _Prepared) -> Outcome:
        prepared.con.execute(f"use {main}")
        outcome = _finish(prepared.con, key, prepared, user, replacing, dry_run, publish=False)
        _fold(prepared.con, wal, lock)
        return outcome

    pool = ThreadPoolExecutor(PREPARE_AHEAD, thread_name_prefix="funds-prepare")
    pending: deque[Future[_Prepared]] = deque()
    try:
        for i in range(min(PREPARE_AHEAD, len(paths))):
            pending.append(pool.submit(prepare, i))
        for i in range(len(paths)):
            prepared = pending.popleft().result()
            if i + PREPARE_AHEAD < len(paths):  # its cursor was the one file i - 1 finished on
                pending.append(pool.submit(prepare, i + PREPARE_AHEAD))
            yield finish(prepared)
    finally:
        for future in pending:  # stopped early: let the files being prepared finish, then drop their tables
            try:
                _cleanup(future.result().con)
            except BaseException:  # noqa: BLE001 - its error is not this run's outcome
                pass
        pool.shutdown(wait=True)
        for cursor in cursors:
            cursor.close()


def _fold(con: duckdb.DuckDBPyConnection, wal: Path, lock: threading.Lock | None = None) -> None:
    """Between two files of a run: checkpoint once the write-ahead log `wal` passes CHECKPOINT_MB
    (`lock`: held meanwhile, see `_Reading`)."""
    try:
        if wal.stat().st_size <= CHECKPOINT_MB * 1024 * 1024:
            return
    except FileNotFoundError:
        return  # nothing written since the last checkpoint
    with lock or nullcontext():
        con.execute("checkpoint")


SCRATCH = "_funds_scratch"  # an empty in-memory database: the default of a cursor while it prepares a file


class _Reading:
    """A preparing cursor's one read of the database (is this file loaded already?), skipped while
    a checkpoint runs (`_fold`).

    The cursor's default database is SCRATCH, not the database. DuckDB looks an unqualified name
    up along the search path (temp, then the default database, then the built-ins), and a lookup
    in the database opens a transaction there: preparing with the database as default (every
    temp table, macro and function it names) would keep a transaction open in it, and a
    checkpoint beside an open transaction can neither merge row groups nor free the blocks it
    replaces (a county year loaded so was 75 MB, half of it free blocks, instead of 42 MB). The
    read itself takes the lock a checkpoint holds; when the lock is taken the answer is left to
    `_finish`, which asks again anyway.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, lock: threading.Lock, main: str) -> None:
        self.con, self.lock, self.main = con, lock, main

    def __call__(self, read: Callable[[], int | None]) -> int | None:
        if not self.lock.acquire(blocking=False):
            return None
        try:
            self.con.execute(f"use {self.main}")
            try:
                return read()
            finally:
                self.con.execute(f"use {SCRATCH}")
        finally:
            self.lock.release()


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class _Prepared:
    """A file after `validate.prepare` (or refused before it), waiting for its turn to finish."""

    con: duckdb.DuckDBPyConnection
    kind: str
    path: Path
    name: str
    sha: str | None = None
    report: Report | None = None  # None: not checked (already loaded)
    staged: validate.Staged | None = None
    too_large: bool = False


def _usage(con: duckdb.DuckDBPyConnection, kind: str, replacing: int | None) -> None:
    if kind not in KINDS:
        raise ValueError(kind)
    if replacing is not None:
        loader.check_replace(con, kind, replacing)


def _overlaps(path: Path) -> bool:
    """Whether a file may be checked while another loads (OVERLAP_MAX_MB, OVERLAP_MAX_SHEET_MB)."""
    return _size_mb(path) <= OVERLAP_MAX_MB and sheets_mb(path) <= OVERLAP_MAX_SHEET_MB


def _size_mb(path: Path) -> float:
    try:
        return path.stat().st_size / 1024 / 1024
    except OSError:
        return 0.0  # the check reports the unreadable file


def _prepare(con: duckdb.DuckDBPyConnection, key: bytes, kind: str, path: Path, original_name: str | None,
             replacing: int | None, into: validate.Target | None = None, reading: _Reading | None = None) -> _Prepared:
    """The checks that need nothing stored (`validate.prepare`); writes nothing to the database.

    A file already loaded is not checked again; beside a load, `reading` asks for it (see `_Reading`).
    """
    name = redaction.redact(original_name or path.name)  # a file named after a person's ID is stored masked
    too_large = _too_large(kind, path, name)
    if too_large is not None:  # refused before a byte is read (CLI and app alike)
        return _Prepared(con, kind, path, name, report=too_large, too_large=True)
    out = _Prepared(con, kind, path, name)
    try:
        out.sha = validate.sha256_of(path)
        if replacing is None:
            sha = out.sha

            def loaded() -> int | None:
                return loader.find_loaded(con, kind, sha)

            if (reading(loaded) if reading else loaded()) is not None:
                return out  # `_finish` asks again (the file before may have loaded it) and says so
    except OSError:
        pass  # validate.prepare reports the unreadable file
    try:
        out.report, out.staged = validate.prepare(con, kind, path, key, into or validate.target(con, kind),
                                                  original_name=name, sha256=out.sha)
    except BaseException:
        _cleanup(con)
        raise
    return out


def _finish(con: duckdb.DuckDBPyConnection, key: bytes, prepared: _Prepared, user: str, replacing: int | None,
            dry_run: bool, publish: bool = True) -> Outcome:
    """Check a prepared file against the stored rows and load it if valid, on the cursor that prepared it;
    `publish`: see `ingest_file`."""
    kind, name, report = prepared.kind, prepared.name, prepared.report
    try:
        if prepared.too_large:
            if not dry_run:
                loader.log(con, report, user, "rejected", None)
            return Outcome(name, "rejected", None, report)
        existing = loader.find_loaded(con, kind, prepared.sha) if prepared.sha else None
        if existing is not None and replacing is None:
            report = Report(kind=kind, path=name, sha256=prepared.sha)
            report.rows = con.execute("select rows from batches where batch_id = $b", {"b": existing}).fetchall()[0][0]
            if not dry_run:
                loader.log(con, report, user, "already_loaded", existing)
            return Outcome(name, "already_loaded", existing, report)
        if report is None:  # it was loaded when prepared, and has been replaced since: check it now
            report, prepared.staged = validate.prepare(con, kind, prepared.path, key, validate.target(con, kind),
                                                       original_name=name, sha256=prepared.sha)
        if prepared.staged:
            validate.finish(con, report, replacing, prepared.staged)
        if not report.valid:
            if not dry_run:
                loader.log(con, report, user, "rejected", None)
            return Outcome(name, "rejected", None, report)
        if dry_run:
            return Outcome(name, "valid", None, report)
        db.begin_change(con)  # readers keep the old snapshot until the new one is published
        try:
            batch_id = loader.load(con, report, user, replacing)
        finally:
            if publish:
                db.publish(con)
        return Outcome(name, "loaded", batch_id, report)
    finally:
        _cleanup(con)


def _cleanup(con: duckdb.DuckDBPyConnection) -> None:
    drop_raw(con)
    con.execute("drop view if exists temp.staged")  # a view of norm
    con.execute("drop table if exists temp.norm")
