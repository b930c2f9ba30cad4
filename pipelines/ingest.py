"""Ingest: check an upload and, when it is valid, load it whole; the entry point for CLI and app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from funds import compaction, db, keys, redaction, settings, snapshots
from pipelines import load as loader
from pipelines import validate
from pipelines.read import drop_raw
from pipelines.report import Issue, Report
from schemas.columns import KINDS

TEMP_TABLES = ("norm", "staged")  # and the raw cells: read.drop_raw


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


def open_for_ingest(db_path: Path) -> tuple[duckdb.DuckDBPyConnection, bytes]:
    """Open (creating on first use) the database for writing, migrated, with its key."""
    if not db_path.exists():
        db.initialise(db_path)
    key = keys.load(settings.secret_path(db_path))
    con = db.connect(db_path)
    db.limit_memory(con, db_path)
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
        return None  # validate.check reports the unreadable file
    if size <= limit * 1024 * 1024:
        return None
    report = Report(kind=kind, path=name)
    report.add(Issue("file-too-large", value=f"{size / 1024 / 1024:.1f} MB", params=(("expected", f"{limit} MB"),)))
    return report


def ingest_file(con: duckdb.DuckDBPyConnection, key: bytes, kind: str, path: Path, user: str,
                replacing: int | None = None, original_name: str | None = None, dry_run: bool = False) -> Outcome:
    """Check one file and load it if valid; a rejected file changes nothing but the ingest log."""
    if kind not in KINDS:
        raise ValueError(kind)
    if replacing is not None:
        loader.check_replace(con, kind, replacing)
    name = redaction.redact(original_name or path.name)  # a file named after a person's ID is stored masked
    too_large = _too_large(kind, path, name)
    if too_large is not None:  # refused before a byte is read (CLI and app alike)
        if not dry_run:
            loader.log(con, too_large, user, "rejected", None)
        return Outcome(name, "rejected", None, too_large)
    sha = None
    try:
        sha = validate.sha256_of(path)
        existing = loader.find_loaded(con, kind, sha)
        if existing is not None and replacing is None:
            report = Report(kind=kind, path=name, sha256=sha)
            report.rows = con.execute("select rows from batches where batch_id = $b", {"b": existing}).fetchall()[0][0]
            if not dry_run:
                loader.log(con, report, user, "already_loaded", existing)
            return Outcome(name, "already_loaded", existing, report)
    except OSError:
        pass  # validate.check reports the unreadable file
    try:
        report = validate.check(con, kind, path, key, original_name=name, replacing=replacing, sha256=sha)
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
            db.publish(con)
        return Outcome(name, "loaded", batch_id, report)
    finally:
        drop_raw(con)
        for table in TEMP_TABLES:
            con.execute(f"drop table if exists temp.{table}")
