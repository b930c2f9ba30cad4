"""Staff accounts: argon2 hashing, lockout, idle expiry, role gating, audit log, `funds users`."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app_pages import registry
from funds import accounts, audit_log
from funds.errors import AccessDenied, UsageError
from funds.staff_db import staff_connection
from funds_cli.main import main as cli


@pytest.fixture()
def con(fresh_db: Path):
    with staff_connection(fresh_db) as c:
        yield c


def test_passwords_are_argon2id_hashes_never_clear_text(con) -> None:
    accounts.add_user(con, "alice", "finance", "correct horse")
    stored = accounts.get_user(con, "alice")["password_hash"]
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert accounts.check_password(stored, "correct horse")
    assert not accounts.check_password(stored, "wrong horse")
    assert not accounts.check_password("not a hash", "x")
    assert "password_hash" not in accounts.list_users(con)[0]


def test_bad_names_roles_and_short_passwords_are_refused(con) -> None:
    with pytest.raises(UsageError):
        accounts.add_user(con, "bob", "superuser", "long enough")
    with pytest.raises(UsageError):
        accounts.add_user(con, "bob", "finance", "short")
    with pytest.raises(UsageError):
        accounts.add_user(con, "b o b; drop", "finance", "long enough")
    accounts.add_user(con, "bob", "finance", "long enough")
    with pytest.raises(UsageError):
        accounts.add_user(con, "bob", "admin", "long enough")


def test_login_succeeds_and_counts_nothing(con) -> None:
    accounts.add_user(con, "alice", "auditor", "correct horse")
    assert accounts.authenticate(con, "alice", "correct horse", sleep=False) == {"name": "alice", "role": "auditor"}
    assert accounts.get_user(con, "alice")["last_login"] is not None


def test_unknown_name_and_wrong_password_look_the_same(con) -> None:
    accounts.add_user(con, "alice", "finance", "correct horse")
    with pytest.raises(AccessDenied) as a:
        accounts.authenticate(con, "alice", "nope", sleep=False)
    with pytest.raises(AccessDenied) as b:
        accounts.authenticate(con, "mallory", "nope", sleep=False)
    assert a.value.message("en") == b.value.message("en")


def test_five_failures_lock_the_account_for_fifteen_minutes(con) -> None:
    accounts.add_user(con, "alice", "finance", "correct horse")
    t0 = datetime(2026, 1, 1, 9, 0)
    for _ in range(4):
        with pytest.raises(AccessDenied, match="Wrong"):
            accounts.authenticate(con, "alice", "guess", now=t0, sleep=False)
    with pytest.raises(AccessDenied, match="locked until 09:15"):
        accounts.authenticate(con, "alice", "guess", now=t0, sleep=False)
    # even the right password is refused while locked, and the lock is in the database
    with pytest.raises(AccessDenied, match="locked"):
        accounts.authenticate(con, "alice", "correct horse", now=t0 + timedelta(minutes=14), sleep=False)
    assert accounts.get_user(con, "alice")["locked_until"] == t0 + timedelta(minutes=15)
    assert accounts.authenticate(con, "alice", "correct horse", now=t0 + timedelta(minutes=16), sleep=False)
    assert accounts.get_user(con, "alice")["failed_logins"] == 0


def test_an_expired_lock_starts_a_fresh_count(con) -> None:
    accounts.add_user(con, "alice", "finance", "correct horse")
    t0 = datetime(2026, 1, 1, 9, 0)
    for _ in range(5):
        with pytest.raises(AccessDenied):
            accounts.authenticate(con, "alice", "guess", now=t0, sleep=False)
    with pytest.raises(AccessDenied, match="Wrong"):  # one failure after the lock ended: not locked again
        accounts.authenticate(con, "alice", "guess", now=t0 + timedelta(minutes=20), sleep=False)
    assert accounts.get_user(con, "alice")["failed_logins"] == 1


def test_admin_reset_lifts_a_lock_and_disable_blocks_login(con) -> None:
    accounts.add_user(con, "alice", "finance", "correct horse")
    for _ in range(5):
        with pytest.raises(AccessDenied):
            accounts.authenticate(con, "alice", "guess", sleep=False)
    accounts.reset_password(con, "alice", "battery staple")
    assert accounts.authenticate(con, "alice", "battery staple", sleep=False)
    accounts.set_disabled(con, "alice")
    with pytest.raises(AccessDenied):
        accounts.authenticate(con, "alice", "battery staple", sleep=False)
    assert not accounts.still_active(con, "alice")


def test_failures_are_slowed_down() -> None:
    assert accounts.failure_delay(1) > 0
    assert accounts.failure_delay(4) > accounts.failure_delay(1)
    assert accounts.failure_delay(100) <= 3.0


def test_sessions_expire_after_idle_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNDS_SESSION_MINUTES", "30")
    s = accounts.new_session({"name": "alice", "role": "finance"}, now=1000.0)
    assert s == {"name": "alice", "role": "finance", "expires": 1000.0 + 1800}
    alive = accounts.refresh(s, now=1000.0 + 1799)
    assert alive is not None and alive["expires"] == 1000.0 + 1799 + 1800  # activity restarts the clock
    assert accounts.refresh(s, now=1000.0 + 1800) is None
    assert accounts.refresh({"name": "x", "role": "root", "expires": 1e12}) is None
    assert accounts.refresh(None) is None
    assert accounts.refresh({"name": "x", "role": "finance", "expires": "soon"}) is None


def test_roles_see_only_their_pages() -> None:
    def paths(role):
        return {p.path for p in registry.visible(role)}

    staff = {"app_pages/staff_upload.py", "app_pages/staff_batches.py"}
    assert "app_pages/login.py" in paths(None)
    assert not paths(None) & (staff | {"app_pages/admin_users.py"})
    assert staff <= paths("finance")
    assert "app_pages/admin_users.py" not in paths("finance")
    assert not {p.path for p in registry.PAGES if p.roles == ("auditor",)} & paths("finance")
    assert not paths("auditor") & (staff | {"app_pages/admin_users.py"})
    assert staff | {"app_pages/admin_users.py"} <= paths("admin")


def test_audit_log_records_actions_and_masks_id_like_numbers(con) -> None:
    audit_log.record(con, "alice", "upload-check", {"file": "村民 110101199003074514 名单.csv", "rows": 3})
    audit_log.record(con, "alice", "note", "call 13812345678")
    entries = audit_log.recent(con)
    assert [e["action"] for e in entries] == ["note", "upload-check"]
    assert "110101199003074514" not in entries[1]["detail"] and "110101" in entries[1]["detail"]
    assert json.loads(entries[1]["detail"])["rows"] == 3
    assert "13812345678" not in entries[0]["detail"]


# ------------------------------------------------------------------ CLI

def test_cli_add_list_disable_with_password_on_stdin(fresh_db: Path, monkeypatch, capsys) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse\n"))
    assert cli(["users", "add", "alice", "--role", "finance", "--password-stdin", "--db", str(fresh_db)]) == 0
    out = capsys.readouterr()
    assert "correct horse" not in out.out + out.err
    assert cli(["users", "list", "--json", "--db", str(fresh_db)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(u["name"], u["role"], u["disabled"]) for u in listed] == [("alice", "finance", False)]
    assert "password_hash" not in listed[0]
    assert cli(["users", "disable", "alice", "--db", str(fresh_db)]) == 0
    with staff_connection(fresh_db) as con:
        assert accounts.get_user(con, "alice")["disabled"]
        with pytest.raises(AccessDenied):
            accounts.authenticate(con, "alice", "correct horse", sleep=False)
        assert [e["action"] for e in audit_log.recent(con)][:2] == ["user-disable", "user-add"]


def test_cli_refuses_without_a_terminal_or_stdin_flag(fresh_db: Path, monkeypatch, capsys) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse\n"))
    assert cli(["users", "add", "bob", "--role", "admin", "--db", str(fresh_db)]) == 2
    assert cli(["users", "disable", "nobody", "--db", str(fresh_db)]) == 2
    with pytest.raises(SystemExit):  # argparse: not a role
        cli(["users", "add", "bob", "--role", "root", "--db", str(fresh_db)])
    assert "nobody" in capsys.readouterr().err


def test_session_clock_is_wall_time() -> None:
    s = accounts.new_session({"name": "a", "role": "admin"})
    assert s["expires"] > time.time()
