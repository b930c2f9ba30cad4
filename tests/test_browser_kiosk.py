"""The kiosk path in a real browser: `streamlit run app.py` driven by Debian's Chromium through Playwright.

Looks a household up in zh, ko and en (exact total shown), a wrong name (nothing about the
person), the idle timer (screen clears), and an inquiry filed, answered and read back by ticket.
Screenshots go to test-artifacts/ (look at them: CJK text must render, not boxes).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import copy_db
from known_people import people

from funds import inquiries, money

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
IDLE = 6

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium "
                                                     "fonts-noto-cjk); CI installs it"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app on a free loopback port, serving a private copy of the demo county."""
    folder = tmp_path_factory.mktemp("browser")
    path = folder / "county.duckdb"
    copy_db(demo_db, path)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNDS_")}
    env.update(FUNDS_DB=str(path), FUNDS_KIOSK_IDLE_SECONDS=str(IDLE), FUNDS_LOOKUP_FAIL_LIMIT="50")
    log = (folder / "streamlit.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not start: " + (folder / "streamlit.log").read_text()[-2000:])
        yield url, path
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield b
        b.close()


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"kiosk_{name}.png"), full_page=True)


def _open(browser, url: str, width: int, height: int):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(20_000)
    page.goto(url)
    page.get_by_role("button", name="中文", exact=True).wait_for()
    return page


def _lookup(page, id_label: str, name_label: str, submit: str, id_text: str, name: str) -> None:
    page.get_by_role("textbox", name=id_label, exact=True).fill(id_text)
    page.get_by_role("textbox", name=name_label, exact=True).fill(name)
    page.get_by_role("button", name=submit, exact=True).click()


LANGS = [  # (button, id label, name label, submit, word of the total, viewport)
    ("中文", "身份证号码", "姓名", "查询", "合计", (1080, 1920)),
    ("한국어", "신분증 번호", "이름", "조회", "합계", (1080, 1920)),
    ("English", "ID number", "Name", "Search", "Total", (1366, 768)),
]


@pytest.mark.parametrize("lang", LANGS, ids=["zh", "ko", "en"])
def test_lookup_shows_exact_total(server, browser, lang) -> None:
    url, _ = server
    button, id_label, name_label, submit, word, (w, h) = lang
    person = people()[0]
    page = _open(browser, url, w, h)
    page.get_by_role("button", name=button, exact=True).click()
    page.get_by_role("textbox", name=id_label, exact=True).wait_for()
    _lookup(page, id_label, name_label, submit, person["id"], person["name"])
    total = page.locator(".kiosk-total")
    total.wait_for()
    assert word in total.inner_text()
    assert money.grouped(person["total"]) in total.inner_text()
    payments = page.locator("[data-testid=stTableStyledTable]").last.locator("tbody tr")
    payments.nth(person["count"] - 1).wait_for()  # every payment is listed, one row each
    assert payments.count() == person["count"]
    assert person["id"] not in page.content() and person["id"] not in page.url
    _shot(page, f"lookup_{button}")
    page.close()


def test_wrong_name_shows_nothing_about_the_person(server, browser) -> None:
    url, _ = server
    person = people()[1]
    page = _open(browser, url, 1080, 1920)
    _lookup(page, "身份证号码", "姓名", "查询", person["id"], person["name"] + "伟")
    page.get_by_text("没有查到该身份证号码和姓名的发放记录").wait_for()
    html = page.content()
    assert page.locator(".kiosk-total").count() == 0
    assert money.grouped(person["total"]) not in html and person["id"] not in html
    _shot(page, "wrong_name")
    page.close()


def test_idle_timer_clears_the_screen(server, browser) -> None:
    url, _ = server
    person = people()[2]
    page = _open(browser, url, 1366, 768)
    _lookup(page, "身份证号码", "姓名", "查询", person["id"], person["name"])
    page.locator(".kiosk-total").wait_for()
    page.locator(".kiosk-total").wait_for(state="detached", timeout=(IDLE + 15) * 1000)
    assert money.grouped(person["total"]) not in page.content()
    _shot(page, "after_idle")
    page.close()


def test_inquiry_ticket_and_reply(server, browser) -> None:
    url, path = server
    person = people()[3]
    page = _open(browser, url, 1080, 1920)
    _lookup(page, "身份证号码", "姓名", "查询", person["id"], person["name"])
    page.locator(".kiosk-total").wait_for()
    page.get_by_role("button", name="对查询结果有疑问？反映问题").click()
    page.get_by_text("金额不对").click()
    page.get_by_role("textbox", name="请说明情况（可不填）").fill("第二笔金额少了")
    page.get_by_role("button", name="提交", exact=True).click()
    ticket_el = page.locator(".kiosk-ticket")
    ticket_el.wait_for()
    ticket = ticket_el.inner_text().strip()
    assert len(ticket) == inquiries.TICKET_LENGTH
    _shot(page, "ticket")
    with inquiries.writing(path) as con:
        assert inquiries.reply(con, ticket, "已核实，本月补发差额。", "clerk")
    page.get_by_role("button", name="完成，清除屏幕").click()
    page.get_by_role("button", name="查看答复").click()
    page.get_by_role("textbox", name="反映编号").fill(ticket)
    page.get_by_role("button", name="查看", exact=True).click()
    page.get_by_text("已核实，本月补发差额。").wait_for()
    assert page.get_by_text("已答复").count() >= 1
    _shot(page, "reply")
    page.close()
