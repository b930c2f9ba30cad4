"""Public disclosure pages (AppTest): funds of a year, drill-down to a village notice, projects, budgets, downloads."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from known_people import people
from streamlit.testing.v1 import AppTest

PAGES = Path(__file__).resolve().parent.parent / "app_pages"
FULL_ID = re.compile(r"\d{17}[\dX]")


@pytest.fixture()
def env(demo_db, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FUNDS_DB", str(demo_db))
    return demo_db


def _run(name: str) -> AppTest:
    at = AppTest.from_file(str(PAGES / name), default_timeout=30)
    at.run()
    assert not at.exception, at.exception
    return at


def _all_text(at: AppTest) -> str:
    return "\n".join([str(tb.value) for tb in at.table] + [m.value for m in at.markdown] + [str(m.value) for m in at.metric])


def _no_personal_data(text: str) -> None:
    assert not FULL_ID.search(text)
    for p in people()[:50]:
        assert p["name"] not in text.replace("*", "#") or len(p["name"]) < 2


def test_disclosure_drill_down_to_village_notice(env: Path) -> None:
    at = _run("disclosure.py")
    assert at.table and at.selectbox(key="pub_year").value == 2007
    at.selectbox(key="pub_fund").set_value("H01").run()
    town = at.selectbox(key="pub_township").options[1]
    at.selectbox(key="pub_township").set_value(town).run()
    village = at.selectbox(key="pub_village").options[1]
    at.selectbox(key="pub_village").set_value(village).run()
    assert not at.exception
    notice = at.table[-1].value
    assert len(notice) >= 1
    names = notice.iloc[:, 0].tolist()
    assert all(n[1:] == "*" * (len(n) - 1) for n in names)
    ids = notice.iloc[:, 1].tolist()
    assert all("********" in i for i in ids)
    _no_personal_data(_all_text(at))


def test_disclosure_in_korean_and_english(env: Path) -> None:
    at = _run("disclosure.py")
    at.button(key="lang_ko").click().run()
    assert "가구 지급 자금" in _all_text(at)
    at.button(key="lang_en").click().run()
    assert "Paid to households" in _all_text(at)


def test_projects_and_budgets(env: Path) -> None:
    at = _run("projects.py")
    assert len(at.table) == 2
    assert "%" in str(at.table[0].value)
    _no_personal_data(_all_text(at))


def test_inquiry_stats_page_runs(env: Path) -> None:
    at = _run("inquiry_stats.py")
    assert not at.exception


def test_exports_are_masked_and_neutralised() -> None:
    from decimal import Decimal

    from funds import exports

    rows = [{"name": "=HYPERLINK(\"x\")", "id": "420101********1234", "amount": Decimal("1234.50")},
            {"name": "-1+2", "id": "@SUM(A1)", "amount": Decimal("0.10")}]
    cols = [("name", "姓名"), ("id", "身份证号"), ("amount", "金额")]
    text = exports.to_csv(rows, cols).decode("utf-8-sig")
    got = list(csv.reader(io.StringIO(text)))
    assert got[1] == ["'=HYPERLINK(\"x\")", "420101********1234", "1234.50"]
    assert got[2][:2] == ["'-1+2", "'@SUM(A1)"]
    wb = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx(rows, cols)))
    ws = wb.active
    assert ws["A2"].value == "'=HYPERLINK(\"x\")" and ws["A2"].data_type == "s"
    assert ws["C2"].value == 1234.5 and ws["B3"].value == "'@SUM(A1)"


@pytest.mark.parametrize("page", ["kiosk.py", "disclosure.py", "projects.py", "inquiry_stats.py"])
def test_public_pages_run_through_the_app_without_login(env: Path, page: str) -> None:
    at = AppTest.from_file(str(PAGES.parent / "app.py"), default_timeout=30)
    at.run()
    assert not at.exception
    at.switch_page(f"app_pages/{page}").run()
    assert not at.exception and not at.error


def test_staff_inquiry_page_is_not_registered_for_the_public() -> None:
    from app_pages import registry

    public = [p.path for p in registry.visible(None)]
    assert "app_pages/inquiries_staff.py" not in public
    assert "app_pages/inquiries_staff.py" in [p.path for p in registry.visible("finance")]
