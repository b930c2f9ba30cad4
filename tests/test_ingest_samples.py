"""The sample county loads through the real pipeline and reports to the fen; every invalid sample is refused."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import copy_db

from funds import db, keys, settings
from funds.household import lookup
from pipelines.ingest import ingest_file, open_for_ingest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
LOAD_ORDER = [
    ("funds", ["funds.csv", "funds_en.csv"]),
    ("payments", ["payments_utf8_bom.csv", "payments_gbk.csv", "payments_en.tsv", "payments_ko.csv",
                  "payments_title.xlsx", "payments_legacy.xls"]),
    ("allocations", ["allocations.xlsx"]),
    ("projects", ["projects_wan.xlsx"]),
    ("budgets", ["budgets_gbk.csv"]),
    ("people_flags", ["people_flags.csv"]),
]
TABLES = ("funds", "payments", "allocations", "projects", "budgets", "people_flags", "batches")


def load_samples(path: Path) -> None:
    """Load every valid sample file, asserting each one loads."""
    con, key = open_for_ingest(path)
    try:
        for kind, files in LOAD_ORDER:
            for name in files:
                outcome = ingest_file(con, key, kind, SAMPLE / name, "tester")
                assert outcome.status == "loaded", (name, outcome.report.flatten())
    finally:
        con.close()


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "sample.duckdb"
    load_samples(path)
    return path


def funds_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "funds_cli", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)


def snapshot(path: Path) -> dict[str, list[tuple]]:
    with db.reading(path) as con:
        return {t: sorted(con.execute(f"select * from {t}").fetchall(), key=repr) for t in TABLES}


def test_report_reconciles_to_the_fen(sample_db: Path) -> None:
    result = funds_cli("report", "--year", "2007", "--json", "--db", str(sample_db))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    # 1805.00 (utf8) + 5240.00 (gbk) + 420.00 (en) + 120.00 (ko) + 7500.50 (xlsx) + 66.60 (xls)
    assert data["household_payments"] == {"count": 14, "amount_yuan": "15152.10", "unpaid": 4, "people": 11}
    assert data["funds"] == {"count": 6, "household": 4, "project": 2}
    assert data["projects"] == {"count": 3, "amount_yuan": "1678456.00"}  # 167.8456 万元
    assert data["budgets"]["departments"] == 2 and data["budgets"]["amount_yuan"] == "9237000.00"
    assert data["allocations"]["count"] == 4 and data["allocations"]["unpaid"] == 1
    assert data["allocations"]["amount_yuan"] == "550000.50"
    assert data["allocations"]["lag_days"] == {"0-3": 1, "4-10": 1, "11+": 1}
    assert data["disclosed_amount_yuan"] == "1693608.10"


def test_amounts_are_exact_decimals(sample_db: Path) -> None:
    with db.reading(sample_db) as con:
        types = dict(con.execute("select column_name, data_type from information_schema.columns "
                                 "where table_name = 'payment_rows'").fetchall())
        total = con.execute("select sum(amount) from payments").fetchall()[0][0]
    assert types["amount"] == "DECIMAL(18,2)" and types["approved_date"] == "DATE"
    assert total == Decimal("15152.10")


@pytest.mark.parametrize("name,id_number,count,total", [
    ("张三", "42010219800101001", 1, "125.00"),
    ("李四", "42010219750505002", 2, "380.00"),  # "李 四" in the sheet: spaces inside a Chinese name fold away
    ("阿依古丽·买买提", "65010219851111006", 1, "300.00"),
    ("Kim Minjun", "42010219920303010", 1, "300.00"),
    ("周八", "42010219451212007", 2, "186.60"),  # GBK sheet (id with spaces) + legacy .xls
    ("郑十", "42010219881010009", 2, "3120.00"),  # English sheet + xlsx with an Excel serial date
])
def test_lookup_counts_and_totals(sample_db: Path, name: str, id_number: str, count: int, total: str) -> None:
    from funds.idnumber import check_char

    full = id_number + check_char(id_number)
    key = keys.load(settings.secret_path(sample_db))
    with db.reading(sample_db) as con:
        result = lookup(con, key, full, name)
        lower = lookup(con, key, full.lower(), name)
    assert (result["found"], result["count"], result["total_yuan"]) == (True, count, total)
    assert lower == result


def test_legacy_15_digit_id_is_found_by_its_18_digit_form(sample_db: Path) -> None:
    from funds.idnumber import normalise

    key = keys.load(settings.secret_path(sample_db))
    with db.reading(sample_db) as con:
        by18 = lookup(con, key, normalise("420102500101011"), "陈一")
        by15 = lookup(con, key, "420102500101011", "陈一")
    assert by18["count"] == 1 and by18["total_yuan"] == "120.00" and by15 == by18


def test_wrong_name_answers_exactly_like_unknown_id(sample_db: Path) -> None:
    from funds.idnumber import check_char

    key = keys.load(settings.secret_path(sample_db))
    known = "42010219800101001" + check_char("42010219800101001")
    unknown = "42010219800101099" + check_char("42010219800101099")
    with db.reading(sample_db) as con:
        assert lookup(con, key, known, "张四") == lookup(con, key, unknown, "张三")
    cli_wrong = funds_cli("lookup", "--id", known, "--name", "张四", "--json", "--db", str(sample_db))
    cli_unknown = funds_cli("lookup", "--id", unknown, "--name", "张三", "--json", "--db", str(sample_db))
    assert cli_wrong.stdout == cli_unknown.stdout and json.loads(cli_wrong.stdout)["found"] is False


def test_no_raw_id_or_account_number_is_stored(sample_db: Path) -> None:
    from make_samples_ids import all_raw_numbers  # type: ignore[import-not-found]

    raw = all_raw_numbers()
    with db.reading(sample_db) as con:
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                            "where table_type = 'BASE TABLE'").fetchall()]
        for table in tables:
            text = "\n".join(map(repr, con.execute(f"select * from {table}").fetchall()))
            for number in raw:
                assert number not in text, (table, number[:6])
    dump = sample_db.read_bytes()
    for number in raw:
        assert number.encode() not in dump


def test_masked_forms_are_stored(sample_db: Path) -> None:
    with db.reading(sample_db) as con:
        masks = {r[0] for r in con.execute("select id_masked from payments").fetchall()}
        accounts = {r[0] for r in con.execute("select account_masked from payments where account_masked is not null").fetchall()}
    assert all(len(m) == 18 and m[6:14] == "********" for m in masks)
    assert accounts == {"************5678"}


def test_same_file_again_is_a_no_op(sample_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "again.duckdb"
    copy_db(sample_db, copy)
    before = snapshot(copy)
    result = funds_cli("ingest", "payments", str(SAMPLE / "payments_gbk.csv"), "--json", "--db", str(copy))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)["files"][0]
    assert out["status"] == "already_loaded" and out["batch_id"] == 4
    assert snapshot(copy) == before


def test_replace_supersedes_and_keeps_history(sample_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "replace.duckdb"
    copy_db(sample_db, copy)
    corrected = tmp_path / "payments_ko_fixed.csv"
    corrected.write_text((SAMPLE / "payments_ko.csv").read_text("utf-8").replace(",120,", ",150,"), "utf-8")
    ko_batch = 6
    result = funds_cli("ingest", "payments", str(corrected), "--replace", str(ko_batch), "--json", "--db", str(copy))
    assert result.returncode == 0, result.stderr
    new_batch = json.loads(result.stdout)["files"][0]["batch_id"]
    with db.reading(copy) as con:
        status = dict(con.execute("select batch_id, status from batches").fetchall())
        total = con.execute("select sum(amount) from payments").fetchall()[0][0]
        kept = con.execute("select count(*) from payment_rows where batch_id = $b", {"b": ko_batch}).fetchall()[0][0]
    assert status[ko_batch] == "superseded" and status[new_batch] == "loaded"
    assert total == Decimal("15182.10") and kept == 1


def _manifest() -> list[dict[str, str]]:
    with (SAMPLE / "invalid" / "manifest.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("case", _manifest(), ids=lambda c: c["file"])
def test_invalid_upload_is_refused_on_the_right_cell(sample_db: Path, tmp_path: Path, case: dict[str, str]) -> None:
    copy = tmp_path / "bad.duckdb"
    copy_db(sample_db, copy)
    before = snapshot(copy)
    result = funds_cli("ingest", case["kind"], str(SAMPLE / "invalid" / case["file"]), "--json", "--db", str(copy))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    errors = json.loads(result.stdout)["files"][0]["errors"]
    expected = [int(case["row"]) if case["row"] else None, case["column"] or None, case["code"]]
    assert expected in [[e["row"], e["column"], e["code"]] for e in errors], errors
    assert all(e["message"] and e["messages"]["en"] and e["messages"]["ko"] for e in errors)
    assert snapshot(copy) == before


def test_missing_column_message_lists_the_headers_found(sample_db: Path) -> None:
    result = funds_cli("--lang", "en", "ingest", "payments", str(SAMPLE / "invalid" / "kind-mismatch.csv"),
                       "--json", "--db", str(sample_db))
    errors = json.loads(result.stdout)["files"][0]["errors"]
    message = next(e["message"] for e in errors if e["code"] == "missing-column" and e["column"] == "township")
    assert "单位名称" in message and "预算数" in message and "township" in message and "乡镇" in message
    warnings = json.loads(result.stdout)["files"][0]["warnings"]
    assert any(w["code"] == "kind-guess" and "budgets" in w["message"] for w in warnings)


def test_rejected_file_is_logged_without_values(sample_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "log.duckdb"
    copy_db(sample_db, copy)
    funds_cli("ingest", "payments", str(SAMPLE / "invalid" / "bad-id-checksum.csv"), "--db", str(copy))
    with duckdb.connect(str(copy), read_only=True) as con:
        rows = con.execute("select status, errors, file_name from ingest_log order by attempt_id desc limit 1").fetchall()
    assert rows == [("rejected", 1, "bad-id-checksum.csv")]
