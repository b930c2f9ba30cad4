"""Inquiries: file, get by ticket, reply, close, stats; the staff page and the public stats page (AppTest)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from conftest import copy_db
from streamlit.testing.v1 import AppTest

from funds import db, inquiries

PAGES = Path(__file__).resolve().parent.parent / "app_pages"


@pytest.fixture()
def county(demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo county (inquiries write to it)."""
    path = tmp_path / "county.duckdb"
    copy_db(demo_db, path)
    monkeypatch.setenv("FUNDS_DB", str(path))
    return path


def test_file_get_reply_close_and_stats(county: Path) -> None:
    t0 = dt.datetime(2026, 3, 1, 9, 0)
    with inquiries.writing(county) as con:
        a = inquiries.file(con, "not_paid", "", "城关镇", "东庄村", "138 0000 1111", None, now=t0)
        b = inquiries.file(con, "other", "路灯坏了", "城关镇", None, None, None, now=t0)
        c = inquiries.file(con, "wrong_amount", "", "河口镇", None, None, 123, now=t0)
        assert len({a, b, c}) == 3 and all(len(x) == 10 for x in (a, b, c))
        assert inquiries.reply(con, a, "已核实，下周补发。", "clerk", now=t0 + dt.timedelta(hours=2))
        assert inquiries.reply(con, b, "已转交。", "clerk", now=t0 + dt.timedelta(hours=6))
        assert inquiries.close(con, b)
        assert not inquiries.reply(con, b, "again", "clerk")  # closed stays closed
        assert not inquiries.close(con, "NOSUCHTICK")
    with db.reading(county) as con:
        got = inquiries.get(con, f" {a[:5].lower()}-{a[5:]} ")
        assert got["status"] == "answered" and got["reply"] == "已核实，下周补发。"
        assert "phone" not in got and "id_hash" not in got
        assert inquiries.get(con, "AAAAAAAAAA") is None
        assert [r["ticket"] for r in inquiries.list_open(con)] == [c]
        stats = {r["township"]: r for r in inquiries.stats(con)}
        assert stats["城关镇"]["filed"] == 2 and stats["城关镇"]["reply_rate"] == 1.0
        assert stats["城关镇"]["median_hours"] == 4.0
        assert stats["河口镇"]["reply_rate"] == 0.0 and stats["河口镇"]["median_hours"] is None


def test_file_needs_a_known_kind_and_text_for_other(county: Path) -> None:
    from funds.errors import FundsError

    with inquiries.writing(county) as con:
        with pytest.raises(FundsError):
            inquiries.file(con, "bogus", "x")
        with pytest.raises(FundsError):
            inquiries.file(con, "other", "  ")


def test_ticket_alphabet_has_no_lookalikes() -> None:
    tickets = {inquiries.new_ticket() for _ in range(500)}
    assert len(tickets) == 500
    assert not set("".join(tickets)) & set("01OIL")


def _staff(role: str) -> AppTest:
    at = AppTest.from_file(str(PAGES / "inquiries_staff.py"), default_timeout=30)
    at.session_state["user"] = {"name": "clerk1", "role": role, "expires": time.time() + 600}
    at.run()
    assert not at.exception
    return at


def test_staff_page_replies_and_closes(county: Path) -> None:
    with inquiries.writing(county) as con:
        ticket = inquiries.file(con, "not_paid", "没收到", "城关镇", "东庄村", "13800001111")
    at = _staff("finance")
    assert any(ticket in e.label for e in at.expander)
    assert "13800001111" in "\n".join(m.value for m in at.markdown)  # staff may call back
    at.text_area(key=f"reply_text_{ticket}").input("已补发")
    [b for b in at.button if "FormSubmitter" in b.id and b.label == "发送答复"][0].click().run()
    assert not at.exception
    with db.reading(county) as con:
        got = inquiries.get(con, ticket)
    assert got["status"] == "answered" and got["reply"] == "已补发"
    at.radio(key="staff_inq_show").set_value("").run()
    [b for b in at.button if "FormSubmitter" in b.id and b.label == "办结"][0].click().run()
    with db.reading(county) as con:
        assert inquiries.get(con, ticket)["status"] == "closed"


def test_staff_page_needs_a_staff_login(county: Path) -> None:
    at = AppTest.from_file(str(PAGES / "inquiries_staff.py"), default_timeout=30)
    at.run()
    assert not at.expander and at.warning


def test_public_stats_page(county: Path) -> None:
    with inquiries.writing(county) as con:
        a = inquiries.file(con, "not_paid", "", "城关镇", None, "13800001111")
        inquiries.reply(con, a, "好", "clerk")
    at = AppTest.from_file(str(PAGES / "inquiry_stats.py"), default_timeout=30)
    at.run()
    assert not at.exception
    text = str(at.table[0].value)
    assert "城关镇" in text and "100%" in text and "13800001111" not in text
