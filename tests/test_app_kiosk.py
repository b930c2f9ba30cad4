"""The kiosk page (AppTest): lookup in three languages, wrong name = unknown ID, throttle, idle clear, finish."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from conftest import copy_db
from known_people import people
from streamlit.testing.v1 import AppTest

from funds import compaction, money

PAGE = str(Path(__file__).resolve().parent.parent / "app_pages" / "kiosk.py")


@pytest.fixture(scope="module")
def person() -> dict:
    return people()[0]


@pytest.fixture(params=["as loaded", "optimized"])
def app(request: pytest.FixtureRequest, demo_db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The kiosk on the demo county as loaded, then after `funds optimize` (lookups read the packed lookup_row)."""
    # a private copy: filing an inquiry writes to it, and the shared demo county must stay as built
    path = tmp_path / "county.duckdb"
    copy_db(demo_db, path)
    if request.param == "optimized":
        compaction.optimize(path)
    monkeypatch.setenv("FUNDS_DB", str(path))
    at = AppTest.from_file(PAGE, default_timeout=30)
    at.run()
    assert not at.exception
    return at


def _lookup(at: AppTest, id_text: str, name: str) -> None:
    at.text_input(key="kiosk_id").input(id_text)
    at.text_input(key="kiosk_name").input(name)
    at.button(key="kiosk_search").click().run()
    assert not at.exception


def _text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [w.value for w in at.warning] + [str(tb.value) for tb in at.table]
    return "\n".join(parts)


@pytest.mark.parametrize("lang,word", [("zh", "合计"), ("ko", "합계"), ("en", "Total")])
def test_lookup_shows_exact_total_in_each_language(app: AppTest, person: dict, lang: str, word: str) -> None:
    if lang != "zh":
        app.button(key=f"lang_{lang}").click().run()
    _lookup(app, person["id"], person["name"])
    text = _text(app)
    assert word in text
    assert money.grouped(person["total"]) in text
    assert person["id"] not in text  # the ID number itself is never echoed


def test_wrong_name_reads_like_unknown_id(app: AppTest, person: dict) -> None:
    _lookup(app, person["id"], person["name"] + "伟")
    wrong = _text(app)
    app.session_state["kiosk_fails"] = 0
    other = person["id"][:-4] + "0000"
    from funds.idnumber import check_char
    other = other[:17] + check_char(other[:17])
    _lookup(app, other, person["name"])
    unknown = _text(app)
    assert wrong == unknown
    assert money.grouped(person["total"]) not in wrong
    assert not app.table


def test_throttle_after_failures(app: AppTest, person: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNDS_LOOKUP_FAIL_LIMIT", "2")
    monkeypatch.setenv("FUNDS_LOOKUP_FAIL_WAIT", "30")
    for _ in range(2):
        _lookup(app, person["id"], "错名字")
    assert any("30" in w.value or "29" in w.value for w in app.warning)
    assert not [b for b in app.button if b.key == "kiosk_search"]  # no form while waiting


def test_finish_and_idle_clear_the_screen(app: AppTest, person: dict) -> None:
    _lookup(app, person["id"], person["name"])
    assert app.table
    app.button(key="kiosk_finish").click().run()
    assert not app.table and "kiosk_result" not in app.session_state
    _lookup(app, person["id"], person["name"])
    assert app.table
    app.session_state["kiosk_last"] = time.time() - 3600  # the idle time has passed
    app.run()
    assert not app.table and "kiosk_result" not in app.session_state


def test_inquiry_from_result_and_ticket(app: AppTest, person: dict) -> None:
    _lookup(app, person["id"], person["name"])
    app.button(key="kiosk_report").click().run()
    app.radio(key="inq_kind").set_value("wrong_amount")
    app.text_area(key="inq_text").input("金额不对")
    [b for b in app.button if "FormSubmitter" in b.id][0].click().run()
    assert not app.exception
    ticket = app.session_state["kiosk_ticket_filed"]
    assert len(ticket) == 10 and ticket in _text(app)
    app.button(key="kiosk_finish").click().run()
    app.button(key="kiosk_mode_ticket").click().run()
    app.text_input(key="inq_ticket_text").input(ticket.lower())
    [b for b in app.button if "FormSubmitter" in b.id][0].click().run()
    assert not app.exception
    assert any("尚未答复" in s.value for s in app.subheader)


def test_an_answer_takes_one_run_of_the_page(app: AppTest, person: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """A found household is drawn in the run that received the form, with no st.rerun(): a second
    run doubled the server's work per lookup, which is what 20 busy kiosks queue for."""
    import streamlit as st

    reruns: list[object] = []
    real = st.rerun
    monkeypatch.setattr(st, "rerun", lambda *a, **k: (reruns.append(k), real(*a, **k)))
    _lookup(app, person["id"], person["name"])
    assert "kiosk_result" in app.session_state and app.button(key="kiosk_finish")
    assert any("kiosk-total" in m.value for m in app.markdown)
    assert reruns == []
    # the typed ID number and name do not stay in the session once the result is shown
    assert "kiosk_id" not in app.session_state and "kiosk_name" not in app.session_state
