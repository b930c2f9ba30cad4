"""Backups while serving and restores compared table by table."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from reliability_helpers import SAMPLE, digest_file, digest_reading, run_funds

from funds import backup as backups
from funds import settings
from funds.errors import FundsError


@pytest.fixture()
def deployment(tmp_path: Path, demo_db: Path) -> Path:
    """A private copy of the demo county (database, key, snapshots)."""
    folder = tmp_path / "live"
    folder.mkdir()
    for item in demo_db.parent.iterdir():
        target = folder / item.name
        (shutil.copytree if item.is_dir() else shutil.copy2)(item, target)
    return folder / demo_db.name


def test_backup_while_a_writer_holds_the_file_then_restore_equals_every_table(deployment: Path, tmp_path: Path) -> None:
    """The CLI backs up while another process writes; restore into a new place equals the original exactly."""
    before = digest_file(deployment)
    hold = subprocess.Popen([sys.executable, "-c", "import duckdb,sys,time; c=duckdb.connect(sys.argv[1]); "
                             "print('ok', flush=True); time.sleep(60)", str(deployment)], stdout=subprocess.PIPE, text=True)
    try:
        assert hold.stdout is not None and hold.stdout.readline().strip() == "ok"
        dest = tmp_path / "backups" / "b1.duckdb"
        out = run_funds("backup", str(dest), "--db", str(deployment), "--json")
        assert out.returncode == 0, out.stderr
    finally:
        hold.kill()
        hold.wait()
    manifest = json.loads(out.stdout)
    assert manifest["tables"]["payment_rows"] > 0
    assert (os.stat(str(dest) + ".secret").st_mode & 0o777) == 0o600
    target = tmp_path / "restored" / "funds.duckdb"
    res = run_funds("restore", str(dest), "--db", str(target))
    assert res.returncode == 0, res.stderr
    assert digest_file(target) == before
    assert digest_reading(target) == before
    assert settings.secret_path(target).read_text() == settings.secret_path(deployment).read_text()


def test_restore_over_a_changed_database_brings_back_every_table(deployment: Path, tmp_path: Path) -> None:
    """Back up, load more, restore: every table equals the backup again, and readers see it."""
    dest = tmp_path / "b.duckdb"
    backups.backup(deployment, dest)
    saved = digest_file(dest)
    assert run_funds("ingest", "funds", str(SAMPLE / "funds_en.csv"), "--db", str(deployment)).returncode in (0, 1)
    backups.restore(dest, deployment)
    assert digest_file(deployment) == saved
    assert digest_reading(deployment) == saved
    # and the restored database takes new uploads (checked, answered, no lock or unexpected error)
    again = run_funds("ingest", "funds", str(SAMPLE / "funds_en.csv"), "--db", str(deployment), "--json")
    assert again.returncode in (0, 1) and json.loads(again.stdout)["files"][0]["status"] in ("loaded", "rejected")


def test_restore_refuses_a_foreign_key_and_a_damaged_backup(deployment: Path, tmp_path: Path) -> None:
    """A key that is not the backup's would make every lookup fail; a damaged copy is refused."""
    dest = tmp_path / "b.duckdb"
    backups.backup(deployment, dest, with_key=False)
    assert not Path(str(dest) + ".secret").exists()
    other = tmp_path / "other" / "funds.duckdb"
    other.parent.mkdir()
    settings.secret_path(other).write_text("ab" * 32)
    with pytest.raises(FundsError):
        backups.restore(dest, other)
    with open(dest, "r+b") as f:
        f.seek(5000)
        f.write(b"\xff" * 64)
    with pytest.raises(FundsError):
        backups.restore(dest, deployment)
