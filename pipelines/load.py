"""Loading a checked upload: one transaction, one batch; a replaced batch is marked superseded."""

from __future__ import annotations

import duckdb

from funds import db
from funds.errors import UsageError
from pipelines.report import Report
from schemas.columns import KINDS

ROW_GROUP_ROWS = 122_880  # DuckDB's rows per row group


def find_loaded(con: duckdb.DuckDBPyConnection, kind: str, sha256: str) -> int | None:
    """The live batch that already holds this exact file, if any."""
    rows = con.execute(
        "select min(batch_id) from batches where kind = $k and sha256 = $s and status = 'loaded'",
        {"k": kind, "s": sha256},
    ).fetchall()
    return rows[0][0]


def check_replace(con: duckdb.DuckDBPyConnection, kind: str, batch_id: int) -> None:
    """--replace N must name a live batch of the same kind."""
    rows = con.execute("select kind, status from batches where batch_id = $b", {"b": batch_id}).fetchall()
    if not rows:
        raise UsageError(f"没有第 {batch_id} 批次。", f"There is no batch {batch_id}.", f"{batch_id}번 배치가 없습니다.")
    got_kind, status = rows[0]
    if got_kind != kind:
        raise UsageError(
            f"第 {batch_id} 批次是“{got_kind}”，不能用“{kind}”文件替换。",
            f"Batch {batch_id} holds {got_kind}; it cannot be replaced by a {kind} file.",
            f"{batch_id}번 배치는 {got_kind}입니다. {kind} 파일로 바꿀 수 없습니다.",
        )
    if status != "loaded":
        raise UsageError(
            f"第 {batch_id} 批次已被替换，请替换最新的批次。",
            f"Batch {batch_id} was already superseded; replace the newest batch instead.",
            f"{batch_id}번 배치는 이미 교체되었습니다.",
        )


def load(con: duckdb.DuckDBPyConnection, report: Report, user: str, replacing: int | None) -> int:
    """Store temp view `staged` as a new batch in one transaction; returns the batch id."""
    kind = KINDS[report.kind]
    stored = [c for c in db.stored_columns(con, kind.table) if c != "batch_id"]
    cols = ", ".join(f'"{c}"' for c in stored)
    # A batch under two row groups is kept in memory until a checkpoint writes it (its publish's, or
    # in a run of files the run's: ingest.CHECKPOINT_MB).
    # Written ahead ("optimistically", DuckDB's default for big appends), its full row group is
    # compressed twice: the checkpoint merges it with the partial row groups around it anyway
    # (~0.1 s per 125k-row roster, and the file keeps the dead blocks). Bigger batches are
    # still written ahead: memory stays flat, and a merge rewrites only a small share of them.
    small = report.rows < 2 * ROW_GROUP_ROWS
    if small:
        con.execute("set enable_optimistic_write = false")
    con.execute("begin transaction")
    try:
        batch_id = con.execute("select coalesce(max(batch_id), 0) + 1 from batches").fetchall()[0][0]
        con.execute(
            """
            insert into batches (batch_id, kind, file_name, sha256, user_name, loaded_at, rows, warnings, status, replaces)
            values ($b, $kind, $file, $sha, $user, now()::timestamp, $rows, $warnings, 'loaded', $replaces)
            """,
            {"b": batch_id, "kind": report.kind, "file": report.path, "sha": report.sha256, "user": user,
             "rows": report.rows, "warnings": report.warning_count, "replaces": replacing},
        )
        con.execute(
            f"insert into {kind.table} (batch_id, {cols}) select $b, {cols} from staged order by "
            + ("id_hash, row_no" if "id_hash" in stored else "row_no"),
            {"b": batch_id},
        )
        if replacing is not None:
            con.execute(
                "update batches set status = 'superseded', superseded_by = $b where batch_id = $old",
                {"b": batch_id, "old": replacing},
            )
        log(con, report, user, "loaded", batch_id)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        if small:
            con.execute("reset enable_optimistic_write")
    return int(batch_id)


def log(con: duckdb.DuckDBPyConnection, report: Report, user: str, status: str, batch_id: int | None) -> None:
    """Record an ingest attempt (rejected ones too) in ingest_log; no cell values are kept."""
    con.execute(
        """
        insert into ingest_log (attempt_id, attempted_at, kind, file_name, sha256, user_name, status, batch_id, rows, errors)
        select coalesce(max(attempt_id), 0) + 1, now()::timestamp, $kind, $file, $sha, $user, $status, $b, $rows, $errors
        from ingest_log
        """,
        {"kind": report.kind, "file": report.path, "sha": report.sha256, "user": user, "status": status,
         "b": batch_id, "rows": report.rows, "errors": report.error_count},
    )
