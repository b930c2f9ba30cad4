"""The SQL console's sandbox: escape attempts refused with a clear message, analytical SQL works; exports."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from funds import sqlconsole, tables
from funds.errors import FundsError
from funds_cli.main import main

ESCAPES = [
    ("select * from read_csv('/etc/passwd')", "read_csv"),
    ("select * from read_csv_auto('/etc/passwd')", "read_csv_auto"),
    ("select * from '/etc/passwd'", "/etc/passwd"),
    ("select * from read_text('/etc/passwd')", "read_text"),
    ("select content from read_blob('/etc/hostname')", "read_blob"),
    ("select * from glob('/etc/*')", "glob"),
    ("select * from read_parquet('/tmp/x.parquet')", "read_parquet"),
    ("select getenv('HOME')", "getenv"),
    ("copy (select 1) to '/tmp/escape.csv'", "COPY"),
    ("copy payments to '/tmp/escape.csv'", "COPY"),
    ("export database '/tmp/escape_db'", "EXPORT"),
    ("attach '/tmp/escape.duckdb' as x", "ATTACH"),
    ("detach funds", "DETACH"),
    ("install httpfs", "SELECT"),
    ("load httpfs", "SELECT"),
    ("set enable_external_access = true", "SET"),
    ("reset lock_configuration", "SELECT"),
    ("pragma database_list", "PRAGMA"),
    ("call pragma_version()", "SELECT"),
    ("create table t as select 1", "CREATE"),
    ("select 1; select 2", "one statement"),
    ("select 1; copy (select 1) to '/tmp/escape.csv'", "one statement"),
    ("select * from duckdb_settings()", "duckdb_settings"),
    ("select * from query('select 1')", "query"),
]


@pytest.fixture(scope="module")
def planted_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests import audit_planted

    return audit_planted.build(tmp_path_factory.mktemp("planted_sql"))


@pytest.mark.parametrize(("query", "mentions"), ESCAPES)
def test_escape_attempts_are_refused_clearly(planted_db: Path, query: str, mentions: str) -> None:
    with pytest.raises(sqlconsole.SqlRefused) as exc:
        sqlconsole.run(planted_db, query)
    assert mentions.lower() in exc.value.message("en").lower()
    assert not Path("/tmp/escape.csv").exists()


def test_python_objects_are_out_of_reach(planted_db: Path) -> None:
    secret_frame = pd.DataFrame({"password": ["hunter2"]})  # noqa: F841 - the target of the attempt
    with pytest.raises(sqlconsole.SqlRefused) as exc:
        sqlconsole.run(planted_db, "select * from secret_frame")
    assert "secret_frame" in exc.value.message("en")


def test_long_queries_are_stopped(planted_db: Path) -> None:
    with pytest.raises(sqlconsole.SqlRefused) as exc:
        sqlconsole.run(planted_db, "select count(*) from range(1000000000000) a", timeout=0.5)
    assert "stopped" in exc.value.message("en")


def test_analytical_sql_works_with_parameters_and_a_row_cap(planted_db: Path) -> None:
    r = sqlconsole.run(planted_db, """
        with per_fund as (select fund_code, village, sum(amount) as yuan, count(*) as n from payments group by all)
        select fund_code, sum(yuan) as yuan, sum(n) as n from per_fund where fund_code = $f group by 1""",
                       {"f": "F2"})
    assert r.columns == ["fund_code", "yuan", "n"] and r.rows[0][1] == Decimal("1000.00") + 9 * 500
    capped = sqlconsole.run(planted_db, "select * from range(50)", max_rows=10)
    assert len(capped.rows) == 10 and capped.truncated
    assert not sqlconsole.run(planted_db, "select * from range(5)", max_rows=10).truncated


def test_cli_sql_uses_the_same_guards(planted_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sql", "--db", str(planted_db), "--lang", "en", "select * from read_csv('/etc/passwd')"]) == 1
    err = capsys.readouterr().err
    assert "not allowed" in err and "Traceback" not in err
    assert main(["sql", "--db", str(planted_db), "select count(*) as n from payments", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rows"] == [[44]] and out["truncated"] is False


def test_saved_queries_come_with_their_parameters(planted_db: Path, tmp_path: Path) -> None:
    from funds import db

    copy = tmp_path / "c.duckdb"
    copy.write_bytes(planted_db.read_bytes())
    con = db.connect(copy)
    try:
        sqlconsole.save(con, "f_rows", "select * from payments where fund_code = $fund", "rows of a fund", "aud")
        with pytest.raises(FundsError):
            sqlconsole.save(con, "bad", "copy payments to '/tmp/x'", "", "aud")
        saved = {q["name"]: q for q in sqlconsole.saved(con)}
    finally:
        con.close()
    assert saved["f_rows"]["params"] == ["fund"] and "payments_by_village" in saved
    for q in saved.values():  # every shipped query passes its own guard
        sqlconsole.check(q["sql"])


def test_csv_export_keeps_formula_text_as_text() -> None:
    data = tables.to_bytes("csv", ["name", "amount"], [("=HYPERLINK(\"http://x\")", Decimal("1.50")),
                                                      ("@SUM(A1)", Decimal("2.00")), ("+1", None), ("-2", None)])
    cells = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert [c[0] for c in cells[1:]] == ["'=HYPERLINK(\"http://x\")", "'@SUM(A1)", "'+1", "'-2"]
    assert cells[1][1] == "1.50"


def test_xlsx_and_parquet_exports() -> None:
    import zipfile

    xlsx = tables.to_bytes("xlsx", ["a"], [("=1+1",)])
    sheet = zipfile.ZipFile(io.BytesIO(xlsx)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    pq_bytes = tables.to_bytes("parquet", ["a", "h"], [(Decimal("1.25"), 2**100)])
    t = pq.read_table(io.BytesIO(pq_bytes))
    assert t.column("a").to_pylist() == [Decimal("1.25")] and t.column("h").to_pylist() == [str(2**100)]


def test_account_table_is_not_open_to_audit_queries(demo_db) -> None:  # type: ignore[no-untyped-def]
    import pytest as _pytest

    from funds import sqlconsole
    from funds.errors import FundsError

    with _pytest.raises(FundsError) as info:
        sqlconsole.check("select name, password_hash from users")
    assert "users" in info.value.message("en")
