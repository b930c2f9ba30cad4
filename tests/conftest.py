"""Shared fixtures: real databases built by the real pipeline (no mocks)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo county (300 households) loaded through `pipelines.demo.build`."""
    from pipelines import demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    demo.build(path, households=300, year=2007, seed=11)
    return path


@pytest.fixture()
def fresh_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty, initialised database in a temp folder; FUNDS_DB points at it."""
    from funds import db

    path = tmp_path / "funds.duckdb"
    db.initialise(path)
    monkeypatch.setenv("FUNDS_DB", str(path))
    return path


@pytest.fixture()
def catalogue_db(tmp_path: Path) -> Path:
    """A new database with only the sample fund catalogue loaded (uploads of payments can then load)."""
    from pipelines.ingest import ingest_file, open_for_ingest

    path = tmp_path / "v.duckdb"
    con, key = open_for_ingest(path)
    try:
        assert ingest_file(con, key, "funds", SAMPLE / "funds.csv", "t").status == "loaded"
    finally:
        con.close()
    return path


@pytest.fixture(autouse=True)
def _no_cached_readers() -> Iterator[None]:
    """Each test starts as a fresh process would: no snapshot connections left open by the last one,
    and no work asked for on each snapshot opened (app.py asks for it: app tests run it)."""
    from funds import readers

    readers.on_open(None)
    readers.clear()
    yield
    readers.on_open(None)
    readers.clear()


@pytest.fixture(autouse=True)
def _workbooks_scanned_as_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """An app test's upload makes its process scan every sheet whole (read.scan_every_sheet): not the next test's."""
    from pipelines import read

    monkeypatch.setattr(read, "EXTENT_SCAN_MB", read.EXTENT_SCAN_DEFAULT_MB)


@pytest.fixture(autouse=True)
def _no_user_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("FUNDS_") and name not in ("FUNDS_TEST_KEEP",):
            monkeypatch.delenv(name, raising=False)


def copy_db(source: Path, target: Path) -> Path:
    """A private copy of a database with its key (tests that write must not change shared fixtures)."""
    import shutil

    from funds import settings

    shutil.copy(source, target)
    shutil.copy(settings.secret_path(source), settings.secret_path(target))
    return target
