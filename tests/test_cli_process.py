"""The `funds` command as a user runs it: a separate process, its output through a pipe, its exit code.

`funds_cli.main.entry` skips the interpreter's teardown, so these check what it must keep:
buffered output reaches the pipe, the exit code is the command's, the exit handlers run.
They also pin the start-up work an ingest no longer does first (pandas and pandera are
imported beside DuckDB's reading, on a thread that is finished when the check returns).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
from conftest import ROOT, SAMPLE

from funds import snapshots


def _env() -> dict[str, str]:
    """This environment without FUNDS_* settings, and with stdout buffered as a user's shell has it."""
    return {k: v for k, v in os.environ.items() if not k.startswith("FUNDS_") and k != "PYTHONUNBUFFERED"}


def _funds(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = _env()
    env.update({"FUNDS_DB": str(db), "PYTHONPATH": str(ROOT), "FUNDS_INGEST_NICE": "0"})
    return subprocess.run([sys.executable, "-m", "funds_cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_a_loaded_file_prints_through_a_pipe_and_exits_0(catalogue_db: Path) -> None:
    out = _funds("ingest", "--json", "payments", str(SAMPLE / "payments_utf8_bom.csv"), db=catalogue_db)
    assert out.returncode == 0, out.stderr
    # a pipe is block-buffered: without a flush before the exit the document's tail is lost
    assert [f["status"] for f in json.loads(out.stdout)["files"]] == ["loaded"]
    assert "leak" not in out.stderr.lower()  # the teardown's notices are not shown to the user


def test_a_rejected_file_exits_1_with_its_reasons(catalogue_db: Path) -> None:
    out = _funds("--lang", "en", "ingest", "payments", str(SAMPLE / "invalid" / "bad-id-checksum.csv"), db=catalogue_db)
    assert out.returncode == 1
    assert "bad-id-checksum" in out.stderr


def test_several_files_report_in_their_order(catalogue_db: Path) -> None:
    """One command, three files (the next checked while one loads): each answered in turn, as given."""
    files = [SAMPLE / "payments_utf8_bom.csv", SAMPLE / "invalid" / "bad-id-checksum.csv", SAMPLE / "payments_ko.csv"]
    out = _funds("ingest", "--json", "payments", *map(str, files), db=catalogue_db)
    assert out.returncode == 1  # one file was rejected
    got = json.loads(out.stdout)["files"]
    assert [(f["path"], f["status"]) for f in got] == [
        ("payments_utf8_bom.csv", "loaded"), ("bad-id-checksum.csv", "rejected"), ("payments_ko.csv", "loaded")]
    assert "bad-id-checksum" in {e["code"] for e in got[1]["errors"]}
    assert [f["batch_id"] for f in got] == [2, None, 3]


def test_exit_handlers_still_run(catalogue_db: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    code = ("import atexit, sys; from pathlib import Path; from funds_cli.main import entry\n"
            f"atexit.register(lambda: Path({str(marker)!r}).write_text('yes'))\n"
            "sys.argv = ['funds', 'batches']; entry()")
    env = _env()
    env.update({"FUNDS_DB": str(catalogue_db), "PYTHONPATH": str(ROOT)})
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert marker.read_text() == "yes"


def test_ingest_imports_pandera_beside_the_read_without_hypothesis_and_leaves_no_thread(catalogue_db: Path) -> None:
    code = f"""
import sys, threading
from pathlib import Path
from pipelines.ingest import ingest_file, open_for_ingest
assert "pandas" not in sys.modules and "pandera" not in sys.modules, "imported before any check"
con, key = open_for_ingest(Path({str(catalogue_db)!r}))
bad = ingest_file(con, key, "payments", Path({str(SAMPLE / "invalid" / "missing-column.csv")!r}), "t")
assert bad.status == "rejected", bad.status
assert not [t for t in threading.enumerate() if t.name == "funds-import"], "import left running"
late = ingest_file(con, key, "payments", Path({str(SAMPLE / "invalid" / "paid-before-approved.csv")!r}), "t")
assert [(i.code, i.row) for i in late.report.errors] == [("paid-before-approved", 2)], late.report.errors
assert "hypothesis" not in sys.modules, "pandera's data synthesis imported: ~0.2 s a check never uses"
good = ingest_file(con, key, "payments", Path({str(SAMPLE / "payments_ko.csv")!r}), "t")
assert good.status == "loaded", good.report.flatten()[:3]
assert "pipelines.model_check" in sys.modules
con.close()
print("ok")
"""
    env = _env()
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"


def test_auto_loads_a_folder_with_the_catalogue_first(tmp_path: Path) -> None:
    """`funds ingest auto FOLDER`: each file's kind told from its header, the fund catalogue loaded
    before the sheets that name its funds, whatever the file names' order; lock and other files left out."""
    folder = tmp_path / "2007"
    folder.mkdir()
    for src, name in [("funds.csv", "z_catalogue.csv"), ("payments_gbk.csv", "a_roster.csv"),
                      ("projects_wan.xlsx", "b.xlsx"), ("payments_legacy.xls", "c.xls"),
                      ("budgets_gbk.csv", "d.csv"), ("people_flags.csv", "e.csv")]:
        shutil.copy(SAMPLE / src, folder / name)
    (folder / "~$b.xlsx").write_bytes(b"lock")  # Excel's lock file beside an open workbook
    (folder / "notes.md").write_text("not a sheet")
    out = _funds("ingest", "--json", "auto", str(folder), db=tmp_path / "new.duckdb")
    assert out.returncode == 0, out.stderr
    got = [(f["path"], f["kind"], f["status"]) for f in json.loads(out.stdout)["files"]]
    assert got == [("z_catalogue.csv", "funds", "loaded"), ("a_roster.csv", "payments", "loaded"),
                   ("c.xls", "payments", "loaded"), ("b.xlsx", "projects", "loaded"),
                   ("d.csv", "budgets", "loaded"), ("e.csv", "people_flags", "loaded")]
    # readers see the whole run in one snapshot: the new database's first (empty) one, then the run's
    snap = snapshots.current(tmp_path / "new.duckdb")
    assert snap is not None and snap.name == "snap-000002.duckdb"
    con = duckdb.connect(str(snap), read_only=True)
    try:
        assert con.execute("select count(*) from batches where status = 'loaded'").fetchall()[0][0] == 6
    finally:
        con.close()


def test_auto_loads_nothing_when_a_file_is_of_no_kind(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    odd = tmp_path / "minutes.csv"
    odd.write_text("日期,会议,记录人\n2007-03-05,村务会,张三\n", "utf-8")
    empty = tmp_path / "empty.csv"
    empty.write_text("", "utf-8")
    out = _funds("--lang", "en", "ingest", "auto", str(SAMPLE / "funds.csv"), str(odd), str(empty),
                 str(SAMPLE / "payments_ko.csv"), db=db)
    assert out.returncode == 2
    assert "nothing was loaded" in out.stderr
    assert "minutes.csv: the header matches no template" in out.stderr
    assert "empty.csv" in out.stderr and "funds.csv" not in out.stderr.replace("funds ingest", "")
    assert "Traceback" not in out.stderr
    assert not db.exists()  # refused before the database was opened
    out = _funds("ingest", "auto", "--replace", "1", str(SAMPLE / "funds.csv"), db=db)
    assert out.returncode == 2 and "--replace" in out.stderr and not db.exists()


def test_auto_dry_run_says_the_catalogue_in_the_run_is_not_loaded(tmp_path: Path) -> None:
    out = _funds("--lang", "en", "ingest", "--dry-run", "--json", "auto", str(SAMPLE / "payments_ko.csv"),
                 str(SAMPLE / "funds.csv"), db=tmp_path / "new.duckdb")
    got = [(f["kind"], f["status"]) for f in json.loads(out.stdout)["files"]]
    assert got == [("funds", "valid"), ("payments", "rejected")]  # its funds are in no loaded catalogue
    assert "does not load this run's fund catalogue" in out.stderr and out.returncode == 1


def test_auto_stops_after_a_rejected_catalogue(tmp_path: Path) -> None:
    """The rosters would all be checked against no catalogue: one clear message instead of a flood."""
    bad = tmp_path / "funds.csv"
    bad.write_text((SAMPLE / "funds.csv").read_text("utf-8").replace("到户", "到月亮", 1), "utf-8")
    out = _funds("--lang", "en", "ingest", "--json", "auto", str(bad), str(SAMPLE / "payments_ko.csv"),
                 db=tmp_path / "new.duckdb")
    assert out.returncode == 1
    assert [(f["kind"], f["status"]) for f in json.loads(out.stdout)["files"]] == [("funds", "rejected")]
    assert "the other files were not checked" in out.stderr
