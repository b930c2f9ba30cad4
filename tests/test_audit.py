"""Auditor analytics on a planted county: lag and ageing buckets, breaches, working days, reconciliation, leads."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from funds import db, lag, leads, reconcile
from funds_cli.main import main
from tests import audit_planted as planted

AS_OF = dt.date(2020, 3, 10)


@pytest.fixture(scope="module")
def planted_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return planted.build(tmp_path_factory.mktemp("planted"))


def _group(data: dict, key: str) -> dict:
    return next(g for g in data["groups"] if g["key"] == key)


def test_payment_lag_buckets_ageing_and_breaches(planted_db: Path) -> None:
    with db.reading(planted_db) as con:
        data = lag.summary(con, "payments", "fund", 2020, AS_OF)
    f1 = _group(data, "F1")
    assert f1["paid"] == {"0-3": 26, "4-10": 4, "11+": 2}
    assert f1["unpaid"] == {"0-3": 0, "4-10": 1, "11+": 0}
    assert f1["breaches"] == 2
    f2 = _group(data, "F2")
    assert f2["paid"] == {"0-3": 11, "4-10": 0, "11+": 0} and f2["breaches"] == 0
    assert data["as_of"] == "2020-03-10" and data["kind"] == "payments" and data["by"] == "fund"


def test_working_days_use_the_holiday_calendar(planted_db: Path) -> None:
    with db.reading(planted_db) as con:
        data = lag.summary(con, "payments", "fund", 2020, AS_OF, working_days=True)
        frame = lag.items(con, "payments", 2020, AS_OF, working_days=True)
    # 2020-09-30 → 2020-10-09 spans the National Day holiday: 9 calendar days, 1 working day
    holiday = frame[frame["approved_date"] == dt.date(2020, 9, 30)]
    assert holiday["lag_days"].tolist() == [1]
    assert _group(data, "F1")["paid"] == {"0-3": 27, "4-10": 3, "11+": 2}


def test_allocation_lag_and_unpaid_ageing(planted_db: Path) -> None:
    with db.reading(planted_db) as con:
        data = lag.summary(con, "allocations", "fund", None, AS_OF)
    assert _group(data, "F1")["paid"] == {"0-3": 1, "4-10": 0, "11+": 0}
    assert _group(data, "F2")["breaches"] == 1  # 15 days against a 5-day rule
    assert _group(data, "F3")["unpaid"] == {"0-3": 0, "4-10": 0, "11+": 1}


@pytest.mark.parametrize("by", ["fund", "department", "township", "village", "month"])
def test_every_grouping_counts_every_item(planted_db: Path, by: str) -> None:
    with db.reading(planted_db) as con:
        data = lag.summary(con, "payments", by, 2020, AS_OF)
    total = sum(sum(g["paid"].values()) + sum(g["unpaid"].values()) for g in data["groups"])
    assert total == len(planted.PLANTED_PAYMENTS) + len(planted.CLEAN_PAYMENTS)


def test_reconciliation_differences_to_the_fen(planted_db: Path) -> None:
    with db.reading(planted_db) as con:
        rows = {r["fund_code"]: r for r in reconcile.table(con, 2020)}
        drill = reconcile.drill(con, 2020, "F3")
    assert rows["F1"]["allocated_minus_disclosed"] == planted.F1_GAP
    assert rows["F1"]["disclosed_yuan"] == planted.payment_total("F1")
    assert rows["F2"]["allocated_minus_disclosed"] == Decimal("0.00") and rows["F2"]["balanced"]
    assert rows["F3"]["allocated_minus_disclosed"] == Decimal("0.00")
    assert rows["F3"]["transferred_minus_paid"] == Decimal("-10000.00")
    assert len(drill["projects"]) == 2 and len(drill["allocations"]) == 1


def test_every_planted_lead_appears_and_clean_rows_do_not(planted_db: Path) -> None:
    with db.reading(planted_db) as con:
        found = leads.find(con, 2020)
    got = {(lead["code"], lead["id_masked"][-4:]) for lead in found}
    expected = {
        ("duplicate-payment", planted.P["dup"][-4:]), ("id-name-conflict", planted.P["twonames"][-4:]),
        ("id-two-villages", planted.P["twovillages"][-4:]), ("amount-outlier", planted.P["outlier"][-4:]),
        ("after-death", planted.P["dead"][-4:]), ("official", planted.P["official"][-4:]),
        ("after-year-end", planted.P["late"][-4:]),
    }
    assert got == expected  # exactly the planted ones: the 29 clean people raise nothing
    dup = next(lead for lead in found if lead["code"] == "duplicate-payment")
    assert dup["fund_code"] == "F1" and len(dup["rows"]) == 2


def test_leads_are_reviewable_with_a_note(planted_db: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(planted_db.read_bytes())
    con = db.connect(copy)
    try:
        lead = leads.find(con)[0]
        leads.review(con, lead["lead_key"], lead["code"], "auditor1", "checked in the village: paid correctly")
        again = next(x for x in leads.find(con) if x["lead_key"] == lead["lead_key"])
        assert again["reviewed"] and again["review"]["note"].startswith("checked")
        assert leads.rows(con, lead)[0]["id_masked"] == lead["id_masked"]
        leads.unreview(con, lead["lead_key"])
        assert not next(x for x in leads.find(con) if x["lead_key"] == lead["lead_key"])["reviewed"]
    finally:
        con.close()


def test_leads_do_not_flood_the_demo_county(demo_db: Path) -> None:
    with db.reading(demo_db) as con:
        found = leads.find(con)
        rows = con.execute("select count(*) from payments").fetchall()[0][0]
    assert len(found) < rows * 0.03
    assert not [x for x in found if x["code"] in ("duplicate-payment", "id-name-conflict", "amount-outlier")]


def test_cli_lag_and_leads_json(planted_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lag", "--db", str(planted_db), "--kind", "payments", "--by", "fund", "--year", "2020",
                 "--as-of", "2020-03-10", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) >= {"kind", "by", "as_of", "groups"}
    assert set(out["groups"][0]) >= {"key", "paid", "unpaid", "breaches"}
    assert main(["leads", "--db", str(planted_db), "--year", "2020", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"code", "fund_code", "id_masked", "rows", "detail"} <= set(out["leads"][0])
    assert main(["reconcile", "--db", str(planted_db), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {r["fund_code"]: r for r in out["funds"]}["F1"]["allocated_minus_disclosed"] == "100.50"


def test_bad_holiday_file_is_a_clear_error(planted_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "h.csv"
    bad.write_text("date,kind,name\n2020-13-01,holiday,x\n", encoding="utf-8")
    monkeypatch.setenv("FUNDS_HOLIDAYS_FILE", str(bad))
    assert main(["lag", "--db", str(planted_db), "--kind", "payments", "--working-days", "--json"]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_leads_read_through_a_plain_read_only_connection(demo_db: Path) -> None:
    with duckdb.connect(str(demo_db), read_only=True) as con:
        assert isinstance(leads.find(con), list)
