"""No personal data where it does not belong: planted IDs and names are searched for after ingests.

Raw ID and account numbers must appear nowhere (no table, no snapshot, no log, no file
byte); names only in the name columns. Oversized uploads are refused before being read.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
from reliability_helpers import SAMPLE, run_funds

from funds import idnumber, settings

# lookup_row: `funds optimize` packs the kiosk's columns, the name among them, into one (migration 0005)
NAME_COLUMNS = {("payment_rows", "name"), ("payment_rows", "lookup_row"), ("people_flag_rows", "name")}


def _id(region: str, birth: str, seq: str) -> str:
    first17 = region + birth + seq
    return first17 + idnumber.check_char(first17)


PLANTED_IDS = [_id("420102", "19870512", f"{i:03d}") for i in range(311, 331)]
PLANTED_NAMES = [f"栽赃{c}{d}" for c, d in zip("甲乙丙丁戊己庚辛壬癸", "子丑寅卯辰巳午未申酉", strict=True)] * 2
PLANTED_ACCOUNTS = [f"62284800{i:011d}" for i in range(555000, 555020)]


def _payments_csv(path: Path, bad: bool = False) -> None:
    """A payments upload of planted people; remarks mention the ID as clerks sometimes do."""
    lines = ["fund_code,year,township,village,name,id_number,amount,approved_date,paid_date,account_no,remarks"]
    for i, (pid, name, acct) in enumerate(zip(PLANTED_IDS, PLANTED_NAMES, PLANTED_ACCOUNTS, strict=True)):
        shown = pid[:-1] + ("0" if pid[-1] != "0" else "1") if bad and i % 3 == 0 else pid
        lines.append(f"F02,2007,Chengguan,East,{name},{shown},{100 + i},2007-04-01,2007-04-0{1 + i % 5},{acct},"
                     f"代领人身份证{pid}")
    path.write_text("\n".join(lines) + "\n", "utf-8")


def _raw_forms() -> list[str]:
    out = []
    for pid in PLANTED_IDS:
        out += [pid, pid[:6] + pid[8:17]]  # the 18-digit form and its 15-digit legacy form
    return out + PLANTED_ACCOUNTS


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database after a loaded and a rejected upload of planted people (filenames carry an ID too),
    then `funds optimize` (which rewrites the rows and packs the kiosk's columns) and a backup."""
    from funds import db

    tmp_path = tmp_path_factory.mktemp("planted")
    fresh_db = tmp_path / "funds.duckdb"
    db.initialise(fresh_db)
    assert run_funds("ingest", "funds", str(SAMPLE / "funds.csv"), "--db", str(fresh_db)).returncode == 0
    good = tmp_path / f"发放_{PLANTED_IDS[0]}.csv"
    bad = tmp_path / "bad.csv"
    _payments_csv(good)
    _payments_csv(bad, bad=True)
    first = run_funds("ingest", "payments", str(good), "--db", str(fresh_db), "--json")
    assert json.loads(first.stdout)["files"][0]["status"] == "loaded", first.stdout[:2000]
    second = run_funds("ingest", "payments", str(bad), "--db", str(fresh_db), "--json")
    assert second.returncode == 1
    assert run_funds("optimize", "--db", str(fresh_db)).returncode == 0
    assert run_funds("backup", str(tmp_path / "bk" / "b.duckdb"), "--db", str(fresh_db)).returncode == 0
    return fresh_db


def _text_cells(path: Path) -> list[tuple[str, str, str]]:
    """Every text value of every table as (table, column, value)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        cols = con.execute("select table_name, column_name from duckdb_columns() where schema_name = 'main' "
                           "and data_type = 'VARCHAR' and table_name in (select table_name from duckdb_tables())"
                           ).fetchall()
        out = []
        for table, column in cols:
            for (value,) in con.execute(f'select distinct "{column}" from "{table}" where "{column}" is not null'
                                        ).fetchall():
                out.append((table, column, value))
        return out
    finally:
        con.close()


def test_no_raw_id_or_account_anywhere_in_the_database(loaded: Path) -> None:
    """Every text cell of every table, in the main file and the published snapshot."""
    from funds import snapshots

    pattern = re.compile("|".join(map(re.escape, _raw_forms())), re.I)
    for path in (loaded, snapshots.current(loaded)):
        assert path is not None
        leaks = [(t, c, v[:80]) for t, c, v in _text_cells(path) if pattern.search(v)]
        assert not leaks, leaks


def test_names_only_in_name_columns(loaded: Path) -> None:
    """Planted names are stored (lookups verify them) but only in the name columns."""
    pattern = re.compile("|".join(map(re.escape, set(PLANTED_NAMES))))
    found = {(t, c) for t, c, v in _text_cells(loaded) if pattern.search(v)}
    assert ("payment_rows", "lookup_row") in found  # the scan covers the optimized table
    assert found <= NAME_COLUMNS, found


def test_no_raw_id_in_files_logs_or_backups(loaded: Path) -> None:
    """Byte scan of every file of the deployment: database, WAL, snapshots, backup, log."""
    folder = loaded.parent
    needles = [s.encode() for s in _raw_forms()] + [s.encode("utf-16-le") for s in PLANTED_IDS]
    log = settings.log_path(loaded)
    files = [p for p in folder.rglob("*") if p.is_file() and not p.name.endswith((".csv", ".secret"))]
    assert loaded in files
    for path in files + ([log] if log.exists() else []):
        data = path.read_bytes()
        hits = [n.decode("utf-8", "replace") for n in needles if n in data]
        assert not hits, (path, hits[:3])
    if log.exists():
        text = log.read_text("utf-8", "replace")
        assert not [n for n in PLANTED_NAMES if n in text]


def test_log_records_are_redacted() -> None:
    """Even an exception message quoting a cell (e.g. a DuckDB conversion error) is masked in the log."""
    import logging

    from funds import db  # noqa: F401  (installs the redacting record factory)

    pid = PLANTED_IDS[1]
    record = logging.getLogger("funds").makeRecord("funds", logging.ERROR, __file__, 1,
                                                    "Could not convert %s to INT32 (%s)", (pid, PLANTED_ACCOUNTS[0]), None)
    text = record.getMessage()
    assert pid not in text and PLANTED_ACCOUNTS[0] not in text and pid[:6] in text
    try:
        raise ValueError(f"Conversion Error: Could not convert string '{pid}' to INT64")
    except ValueError:
        import sys

        record = logging.getLogger("funds").makeRecord("funds", logging.ERROR, __file__, 1, "boom", (),
                                                        sys.exc_info())
    formatted = logging.Formatter("%(message)s").format(record)
    assert "Could not convert" in formatted and pid not in formatted


def test_upload_over_the_size_limit_is_refused_before_reading(fresh_db: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """upload_max_mb is checked from the file's size alone, for the CLI and the app (ingest_file)."""
    big = tmp_path / "big.csv"
    big.write_bytes(b"fund_code,amount\n" + b"F01,1\n" * 400_000)  # 2.4 MB
    monkeypatch.setenv("FUNDS_UPLOAD_MAX_MB", "1")
    from pipelines import ingest, read, validate

    def unread(*args: object, **kwargs: object) -> None:
        raise AssertionError("the oversized upload was read")

    monkeypatch.setattr(validate, "sha256_of", unread)
    monkeypatch.setattr(read, "open_source", unread)
    con, key = ingest.open_for_ingest(fresh_db)
    try:
        outcome = ingest.ingest_file(con, key, "payments", big, "t")
    finally:
        con.close()
    assert outcome.status == "rejected"
    assert [i.code for i in outcome.report.errors] == ["file-too-large"]
    message = outcome.report.errors[0].message("en", "payments")
    assert "2.3 MB" in message and "1 MB" in message
    monkeypatch.undo()
    out = run_funds("ingest", "payments", str(big), "--db", str(fresh_db), "--json",
                    env_extra={"FUNDS_UPLOAD_MAX_MB": "1"})
    assert out.returncode == 1 and json.loads(out.stdout)["files"][0]["errors"][0]["code"] == "file-too-large"
