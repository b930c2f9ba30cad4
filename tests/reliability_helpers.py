"""Helpers for the reliability tests: table digests, database copies, CLI subprocesses."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from funds.db import stored_columns

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
# columns that legitimately differ between two runs of the same ingest
VOLATILE = {"loaded_at", "attempted_at", "applied_at", "seconds"}


def digest_con(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Every base table of the main schema as {table: sha256 of its sorted rows}, timestamps left out."""
    tables = [r[0] for r in con.execute(
        "select table_name from duckdb_tables() where schema_name = 'main' and not temporary order by 1").fetchall()]
    out = {}
    for table in tables:
        # the stored columns leave out derived ones (`funds optimize` fills payment_rows.lookup_row from the others)
        cols = [c for c in stored_columns(con, table) if c not in VOLATILE]
        select = ", ".join(f'"{c}"' for c in cols)
        # order-independent and computed inside DuckDB: row count plus the sum of per-row hashes
        rows = con.execute(f'select count(*), sum(hash(row({select}))::hugeint) from "{table}"').fetchall()
        out[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


def digest_file(path: Path) -> dict[str, str]:
    """Digest a database file opened read-only."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return digest_con(con)
    finally:
        con.close()


def digest_reading(path: Path) -> dict[str, str]:
    """Digest what readers see (db.reading: the current snapshot)."""
    from funds import db

    with db.reading(path) as con:
        return digest_con(con)


def copy_deployment(src_dir: Path, dst_dir: Path) -> None:
    """Copy a folder holding a database, its key and its snapshots."""
    if dst_dir.exists():
        shutil.rmtree(dst_dir)
    shutil.copytree(src_dir, dst_dir)


def funds_cmd(*args: str) -> list[str]:
    """The argv that runs the funds CLI in a fresh interpreter."""
    return [sys.executable, "-m", "funds_cli.main", *args]


def run_funds(*args: str, timeout: float = 120, env_extra: dict[str, str] | None = None
              ) -> subprocess.CompletedProcess[str]:
    """Run the funds CLI to completion."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env_extra or {})}
    return subprocess.run(funds_cmd(*args), capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


def popen_funds(*args: str) -> subprocess.Popen[bytes]:
    """Start the funds CLI without waiting."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(funds_cmd(*args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT)
