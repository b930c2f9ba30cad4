"""Auditor pages (AppTest): each runs for an auditor on the planted county, shows its figures, refuses the public."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_pages import registry

PAGES = Path(__file__).resolve().parent.parent / "app_pages"
AUDIT_PAGES = ["audit_lag.py", "audit_ageing.py", "audit_reconcile.py", "audit_leads.py", "audit_sql.py",
               "audit_report.py"]


@pytest.fixture(scope="module")
def planted_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests import audit_planted

    return audit_planted.build(tmp_path_factory.mktemp("planted_app"))


@pytest.fixture()
def env(planted_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FUNDS_DB", str(planted_db))
    return planted_db


def _run(name: str, role: str | None = "auditor", lang: str = "en") -> AppTest:
    at = AppTest.from_file(str(PAGES / name), default_timeout=60)
    if role:
        at.session_state["user"] = {"name": "aud1", "role": role, "expires": time.time() + 600}
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception, at.exception
    return at


def _text(at: AppTest) -> str:
    return "\n".join([str(x.value) for x in at.dataframe] + [m.value for m in at.markdown]
                     + [str(m.value) for m in at.warning] + [str(m.value) for m in at.error]
                     + [str(m.value) for m in at.info] + [str(m.label) for m in at.metric])


@pytest.mark.parametrize("page", AUDIT_PAGES)
def test_pages_are_registered_for_auditors_only(page: str) -> None:
    spec = next(p for p in registry.PAGES if p.path.endswith(page))
    assert set(spec.roles) == {"auditor", "admin"}
    assert spec in registry.visible("auditor") and spec not in registry.visible(None)
    assert spec not in registry.visible("finance")


def test_lag_page(env: Path) -> None:
    at = _run("audit_lag.py", lang="zh")  # AppTest matches formatted options across reruns
    assert at.dataframe
    at.selectbox(key="lag_year").set_value(2020).run()
    first = at.dataframe[0].value
    assert "F1" in first.iloc[:, 0].tolist()
    at.toggle(key="lag_working").set_value(True).run()
    assert not at.exception


def test_ageing_page(env: Path) -> None:
    at = _run("audit_ageing.py")
    assert at.dataframe or at.info


def test_reconcile_page_and_drill_down(env: Path) -> None:
    at = _run("audit_reconcile.py")
    assert "100.50" in at.dataframe[0].value.to_string()
    at.selectbox(key="rec_pick").set_value((2020, "F3")).run()
    assert not at.exception and len(at.dataframe) >= 3


def test_leads_page_review(env: Path, planted_db: Path) -> None:
    at = _run("audit_leads.py")
    text = _text(at)
    for code in ("duplicate-payment", "amount-outlier", "after-death"):
        assert code in text
    at.text_area(key="leads_note").set_value("visited the village")
    submit = next(b for b in at.get("form_submit_button") if "Mark reviewed" in str(b.label))
    submit.click().run()
    assert not at.exception
    from funds import db, leads

    with db.reading(planted_db) as con:
        assert any(x["reviewed"] and x["review"]["note"] == "visited the village" for x in leads.find(con))


def test_sql_page_runs_refuses_and_truncates(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = _run("audit_sql.py")
    at.button(key="sql_run").click().run()
    assert at.dataframe and not at.error
    at.text_area(key="sql_text_None").set_value("select * from read_csv('/etc/passwd')").run()
    at.button(key="sql_run").click().run()
    assert at.error and "not allowed" in at.error[0].value
    monkeypatch.setenv("FUNDS_SQL_MAX_ROWS", "3")
    at.text_area(key="sql_text_None").set_value("select * from range(10)").run()
    at.button(key="sql_run").click().run()
    assert at.warning and "Truncated" in at.warning[0].value


def test_sql_page_saved_query_with_parameter(env: Path) -> None:
    at = _run("audit_sql.py")
    at.selectbox(key="sql_saved").set_value("person_payments").run()
    at.text_input(key="sql_param_id_masked").set_value("x").run()
    at.button(key="sql_run").click().run()
    assert not at.error


def test_report_page_matches_funds_report(env: Path, planted_db: Path) -> None:
    from funds import db, disclosure

    at = _run("audit_report.py")
    with db.reading(planted_db) as con:
        expected = disclosure.paragraph(disclosure.annual(con, 2020), "en")
    assert expected in _text(at)
