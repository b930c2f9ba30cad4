"""AppTest for the staff pages: login, upload (check → report → marked XLSX → load), batches (replace), admin."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest
from conftest import copy_db
from streamlit.testing.v1 import AppTest

from funds import accounts, audit_log, db
from funds.staff_db import staff_connection

ROOT = Path(__file__).resolve().parent.parent
PAGE = {name: str(ROOT / "app_pages" / f"{name}.py") for name in ("login", "staff_upload", "staff_batches",
                                                                   "admin_users")}


def _app(page: str, user: dict | None = None) -> AppTest:
    at = AppTest.from_file(PAGE[page], default_timeout=60)
    if user is not None:
        at.session_state["user"] = accounts.new_session(user)
    return at


def _copy(demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the demo county (loads must not change the shared fixture)."""
    target = tmp_path / "copy.duckdb"
    copy_db(demo_db, target)
    monkeypatch.setenv("FUNDS_DB", str(target))
    return target


@pytest.fixture(scope="module")
def upload_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A good payments file for the demo county's funds, and a bad copy of it."""
    from pipelines import demo

    folder = tmp_path_factory.mktemp("uploads")
    files = demo.write_files(folder, households=20, year=2007, seed=97)
    good = files.payments[0].read_bytes()
    lines = good.decode("utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[2].split(",")
    cells[header.index('"年度"')] = "2O07"
    cells[header.index('"姓名"')] = "=HYPERLINK(1)"
    lines[2] = ",".join(cells)
    return {"good": good, "bad": ("\n".join(lines) + "\n").encode("utf-8")}


def _wait_job(at: AppTest, flow_key: str, job_key: str) -> None:
    job = at.session_state[flow_key][job_key]
    assert job.wait(120)
    at.run()


# ------------------------------------------------------------------ login

def test_login_page_logs_in_and_records_it(fresh_db: Path) -> None:
    with staff_connection(fresh_db) as con:
        accounts.add_user(con, "alice", "finance", "correct horse")
    at = _app("login").run()
    at.text_input(key="login_name").input("alice")
    at.text_input(key="login_password").input("correct horse")
    next(b for b in at.button if b.label == "登录").click()
    at.run()
    assert at.session_state["user"]["role"] == "finance"
    assert at.session_state["user"]["expires"] > time.time() + 60
    assert any("alice" in s.value for s in at.success)
    with staff_connection(fresh_db) as con:
        assert audit_log.recent(con)[0]["action"] == "login"


def test_login_page_wrong_password_is_refused(fresh_db: Path) -> None:
    with staff_connection(fresh_db) as con:
        accounts.add_user(con, "alice", "finance", "correct horse")
    at = _app("login").run()
    at.text_input(key="login_name").input("alice")
    at.text_input(key="login_password").input("nope")
    next(b for b in at.button if b.label == "登录").click()
    at.run()
    assert "user" not in at.session_state
    assert at.error and "用户名或密码不正确" in at.error[0].value
    with staff_connection(fresh_db) as con:
        assert accounts.get_user(con, "alice")["failed_logins"] == 1


def test_login_page_without_accounts_says_how_to_make_one(fresh_db: Path) -> None:
    at = _app("login").run()
    at.text_input(key="login_name").input("x")
    at.text_input(key="login_password").input("y")
    next(b for b in at.button if b.label == "登录").click()
    at.run()
    assert at.warning and "funds users add" in at.warning[0].value


# ------------------------------------------------------------------ gating and expiry

@pytest.mark.parametrize("page,role", [("staff_upload", None), ("staff_batches", "auditor"),
                                       ("admin_users", "finance"), ("admin_users", "auditor")])
def test_pages_refuse_roles_they_are_not_for(fresh_db: Path, page: str, role: str | None) -> None:
    at = _app(page, {"name": "x", "role": role} if role else None).run()
    assert at.warning and not at.file_uploader and not at.dataframe


def test_an_expired_session_is_dropped(fresh_db: Path) -> None:
    at = AppTest.from_file(PAGE["staff_upload"], default_timeout=60)
    at.session_state["user"] = {"name": "alice", "role": "finance", "expires": time.time() - 1}
    at.run()
    assert "user" not in at.session_state and at.warning and not at.file_uploader


# ------------------------------------------------------------------ upload

def _far_workbook(folder: Path, below_head: bool) -> bytes:
    """A payments workbook with a cell in XFD1048576: right under its header, or (3 MB, its head cut for the
    preview) after 400 rows. calamine would build a 550 GB range and abort the server."""
    import zipfile

    import xlsxwriter

    header = "".join(f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{h}</t></is></c>'
                     for i, h in enumerate(["资金编码", "年度", "乡镇", "村", "姓名", "身份证号", "金额", "审批日期"]))
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>F01</t></is></c></row>'
                   for r in range(2, 402 if below_head else 3))
    sheet = (f'<worksheet><sheetData><row r="1">{header}</row>{rows}'
             '<row r="1048576"><c r="XFD1048576"><v>2</v></c></row></sheetData></worksheet>').encode()
    plain = folder / "plain.xlsx"
    book = xlsxwriter.Workbook(str(plain))
    book.add_worksheet().write(0, 0, "x")
    book.close()
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, sheet if info.filename == "xl/worksheets/sheet1.xml" else zin.read(info))
        if below_head:
            import os

            zout.writestr("docProps/padding.bin", os.urandom(3 << 20), zipfile.ZIP_STORED)
    return out.getvalue()


@pytest.mark.parametrize("below_head", [False, True], ids=["in the preview", "below the preview's rows"])
def test_a_workbook_with_a_far_cell_is_refused_and_the_server_keeps_serving(
        below_head: bool, demo_db: Path, tmp_path: Path, monkeypatch) -> None:
    """The upload page says which cell lies far outside the table, in the clerk's language, instead of
    calamine building its 550 GB range and aborting the server (and every kiosk it serves)."""
    from pipelines import read

    _copy(demo_db, tmp_path, monkeypatch)
    monkeypatch.setattr(read, "EXTENT_SCAN_MB", 0)  # a big sheet, as far as the default scan goes
    at = _app("staff_upload", {"name": "alice", "role": "finance"}).run()
    at.file_uploader[0].set_value(("发放明细.xlsx", _far_workbook(tmp_path, below_head),
                                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    at.run()
    if below_head:  # the preview reads the rows cut for the head; the check scans the sheet whole
        at.selectbox(key="up_kind").set_value("payments")
        at.button(key="up_check").click()
        at.run()
        _wait_job(at, "up_flow", "check")
        assert any("sheet-too-large" in e.label for e in at.expander)
    else:
        assert at.error and "XFD1048576" in at.error[0].value and "Ctrl+End" in at.error[0].value


def test_upload_bad_file_shows_grouped_errors_and_a_marked_xlsx(demo_db: Path, tmp_path: Path, monkeypatch,
                                                                upload_files) -> None:
    import openpyxl

    target = _copy(demo_db, tmp_path, monkeypatch)
    with db.reading(target) as con:
        batches_before = db.fetch_dicts(con, "list_batches")
    at = _app("staff_upload", {"name": "alice", "role": "finance"}).run()
    at.file_uploader[0].set_value(("发放明细.csv", upload_files["bad"], "text/csv"))
    at.run()
    assert at.selectbox(key="up_kind").value == "payments"  # guessed
    at.button(key="up_check").click()
    at.run()
    _wait_job(at, "up_flow", "check")
    assert at.error and "1" in at.error[0].value
    assert any("bad-year" in e.label for e in at.expander)
    table = next(df.value for df in at.dataframe if "行" in df.value.columns)
    assert table["行"].tolist() == [3]  # the spreadsheet row: header on row 1, lines[2] is row 3
    assert not [b for b in at.button if b.key == "up_confirm"]
    job = at.session_state["up_flow"]["check"]
    book = openpyxl.load_workbook(io.BytesIO(job.marked))
    sheet = book["data"]
    marked = [c for row in sheet.iter_rows() for c in row if c.comment]
    # column A holds the row number the clerk sees; the marked cell sits under its own header
    assert [(sheet.cell(c.row, 1).value, sheet.cell(1, c.column).value) for c in marked] == [("3", "年度")]
    assert "bad-year" in marked[0].comment.text
    formula = [c for row in sheet.iter_rows() for c in row if c.value == "=HYPERLINK(1)"]
    assert formula and formula[0].data_type == "s" and formula[0].quotePrefix
    with db.reading(target) as con:
        assert db.fetch_dicts(con, "list_batches") == batches_before  # nothing loaded
    values = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert not [v for v in values if re.fullmatch(r"\d{17}[\dXx]", v)]  # raw IDs never leave, even to the clerk
    with staff_connection(target) as con:
        entry = audit_log.recent(con)[0]
        assert entry["action"] == "upload-check" and '"status": "rejected"' in entry["detail"]


def _check_then_load(at: AppTest, target: Path, good: bytes) -> int:
    """Upload `good`, check it, confirm the load; returns how many batches there were before."""
    with db.reading(target) as con:
        before = len(db.fetch_dicts(con, "list_batches"))
    at.file_uploader[0].set_value(("good.csv", good, "text/csv"))
    at.run()
    at.button(key="up_check").click()
    at.run()
    _wait_job(at, "up_flow", "check")
    assert at.success and not at.error
    with db.reading(target) as con:
        assert len(db.fetch_dicts(con, "list_batches")) == before  # a check loads nothing
    at.button(key="up_confirm").click()
    at.run()
    _wait_job(at, "up_flow", "load")
    assert any("批次" in s.value for s in at.success)
    return before


def test_upload_good_file_checks_then_loads_on_confirm(demo_db: Path, tmp_path: Path, monkeypatch,
                                                       upload_files) -> None:
    target = _copy(demo_db, tmp_path, monkeypatch)
    monkeypatch.setenv("FUNDS_OPTIMIZE_HINT_ROW_GROUPS", "1")  # any table: the load ends with the optimize note
    at = _app("staff_upload", {"name": "alice", "role": "finance"}).run()
    before = _check_then_load(at, target, upload_files["good"])
    assert any("funds optimize" in i.value for i in at.info)
    with db.reading(target) as con:
        batches = db.fetch_dicts(con, "list_batches")
    assert len(batches) == before + 1 and batches[0]["user_name"] == "alice" and batches[0]["kind"] == "payments"
    with staff_connection(target) as con:
        assert [e["action"] for e in audit_log.recent(con)][:2] == ["upload-load", "upload-check"]


def test_the_uploaded_copy_is_removed_when_the_file_is_cleared_or_the_session_is_gone(
        demo_db: Path, tmp_path: Path, monkeypatch, upload_files) -> None:
    """The server keeps a copy of an upload while its flow runs; it holds raw ID numbers, so it goes when
    the clerk clears the file and, since a closed tab clears nothing, when the session itself is gone."""
    import gc

    _copy(demo_db, tmp_path, monkeypatch)
    copies = []
    for clear in (True, False):
        at = _app("staff_upload", {"name": "alice", "role": "finance"}).run()
        at.file_uploader[0].set_value(("good.csv", upload_files["good"], "text/csv"))
        at.run()
        copy = at.session_state["up_flow"]["path"]
        assert copy.read_bytes() == upload_files["good"]
        copies.append(copy)
        if clear:
            at.file_uploader[0].set_value(None)
            at.run()
            assert not copy.exists() and not copy.parent.exists()
        del at
    gc.collect()
    assert not any(c.parent.exists() for c in copies)


def test_the_optimize_advice_has_a_button_that_optimizes(demo_db: Path, tmp_path: Path, monkeypatch,
                                                         upload_files) -> None:
    from funds import compaction

    target = _copy(demo_db, tmp_path, monkeypatch)
    monkeypatch.setenv("FUNDS_OPTIMIZE_HINT_ROW_GROUPS", "1")
    at = _app("staff_upload", {"name": "alice", "role": "finance"}).run()
    _check_then_load(at, target, upload_files["good"])
    with db.reading(target) as con:
        runs_before = len(compaction._runs(con))
        before = db.fetch_dicts(con, "payment_rows_summary")[0]
    assert runs_before >= 2  # the demo county's batches, then this one: each a run of its own
    at.button(key="up_optimize").click()
    at.run()
    _wait_job(at, "up_flow", "optimize")
    assert any("已优化" in s.value for s in at.success), [s.value for s in at.success]
    assert not [b for b in at.button if b.key == "up_optimize"]  # done: the button is gone
    with db.reading(target) as con:  # the published snapshot: what kiosks now read
        assert len(compaction._runs(con)) < runs_before
        assert db.fetch_dicts(con, "payment_rows_summary")[0] == before  # same rows, same money
    with staff_connection(target) as con:
        entry = audit_log.recent(con)[0]
    assert entry["action"] == "optimize" and '"status": "done"' in entry["detail"]


def test_upload_over_the_size_limit_is_refused_before_reading(fresh_db: Path, monkeypatch) -> None:
    monkeypatch.setenv("FUNDS_UPLOAD_MAX_MB", "1")
    at = _app("staff_upload", {"name": "alice", "role": "finance"}).run()
    at.file_uploader[0].set_value(("big.csv", b"x" * (1024 * 1024 + 1), "text/csv"))
    at.run()
    assert at.error and "1 MB" in at.error[0].value
    assert not at.session_state["up_flow"]


def test_unreadable_upload_says_why(fresh_db: Path) -> None:
    at = _app("staff_upload", {"name": "alice", "role": "admin"}).run()
    at.file_uploader[0].set_value(("empty.csv", b"   \n", "text/csv"))
    at.run()
    assert at.error and "空" in at.error[0].value


# ------------------------------------------------------------------ batches

def test_batches_page_lists_and_replaces_a_batch(demo_db: Path, tmp_path: Path, monkeypatch, upload_files) -> None:
    target = _copy(demo_db, tmp_path, monkeypatch)
    at = _app("staff_batches", {"name": "bob", "role": "finance"}).run()
    listed = at.dataframe[0].value
    assert {"batch_id", "user_name", "loaded_at", "rows", "status"} <= set(listed.columns)
    payments = next(o for o in at.selectbox(key="bt_choice").options if "payments" in o or "发放" in o)
    at.selectbox(key="bt_choice").select(payments)
    at.run()
    old = at.selectbox(key="bt_choice").value["batch_id"]
    prefix = f"bt{old}"
    at.file_uploader[0].set_value(("corrected.csv", upload_files["good"], "text/csv"))
    at.run()
    at.button(key=f"{prefix}_check").click()
    at.run()
    _wait_job(at, f"{prefix}_flow", "check")
    at.button(key=f"{prefix}_confirm").click()
    at.run()
    _wait_job(at, f"{prefix}_flow", "load")
    with db.reading(target) as con:
        batches = {b["batch_id"]: b for b in db.fetch_dicts(con, "list_batches")}
    assert batches[old]["status"] == "superseded"
    new = batches[old]["superseded_by"]
    assert batches[new]["replaces"] == old and batches[new]["user_name"] == "bob"


# ------------------------------------------------------------------ admin

def test_admin_page_adds_disables_and_resets(fresh_db: Path) -> None:
    with staff_connection(fresh_db) as con:
        accounts.add_user(con, "root1", "admin", "correct horse")
    at = _app("admin_users", {"name": "root1", "role": "admin"}).run()
    at.text_input(key="ad_name").input("carol")
    at.selectbox(key="ad_role").select("auditor")
    at.text_input(key="ad_password").input("battery staple")
    next(b for b in at.button if b.label == "新增账户").click()
    at.run()
    assert any("carol" in s.value for s in at.success)
    at.selectbox(key="ad_target").select("carol")
    next(b for b in at.button if b.label == "停用").click()
    at.run()
    at.selectbox(key="ad_target").select("root1")
    next(b for b in at.button if b.label == "停用").click()
    at.run()
    assert at.error and "自己" in at.error[0].value
    at.selectbox(key="ad_target").select("carol")
    at.text_input(key="ad_new_password").input("new password 1")
    next(b for b in at.button if b.label == "重置密码").click()
    at.run()
    with staff_connection(fresh_db) as con:
        carol = accounts.get_user(con, "carol")
        assert carol["role"] == "auditor" and carol["disabled"]
        assert accounts.check_password(carol["password_hash"], "new password 1")
        actions = [e["action"] for e in audit_log.recent(con)]
    assert actions[:3] == ["user-password-reset", "user-disable", "user-add"]
    assert all("battery" not in str(e) for e in actions)
