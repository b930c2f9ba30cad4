"""Staff accounts: argon2id password hashes, roles, login throttling and lockout, idle sessions."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from funds import settings
from funds.db import fetch_dicts, query_text
from funds.errors import AccessDenied, UsageError

ROLES = ("finance", "auditor", "admin")
MIN_PASSWORD = 8
_NAME = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{2,40}$")
_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters


@cache
def _dummy_hash() -> str:
    """Verified against when the name is unknown, so a wrong name costs the same time as a wrong password.

    Made on first use, not at import: hashing takes ~0.2 s, which every CLI command would pay.
    """
    return _HASHER.hash("not-a-real-account-password")


def hash_password(password: str) -> str:
    """The argon2id encoded hash of a password."""
    return _HASHER.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    """True when `password` matches the encoded hash (never raises on a mismatch)."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _validate_name(name: str) -> None:
    if not _NAME.match(name or ""):
        raise UsageError(
            "用户名须为 2–40 个字母、数字、汉字或 . _ -。",
            "A user name is 2-40 letters, digits, Chinese characters or . _ -.",
            "사용자 이름은 문자, 숫자, 한자 또는 . _ - 2~40자입니다.",
        )


def _validate_role(role: str) -> None:
    if role not in ROLES:
        raise UsageError(
            f"角色只能是 {', '.join(ROLES)}。", f"The role must be one of {', '.join(ROLES)}.",
            f"역할은 {', '.join(ROLES)} 중 하나여야 합니다.",
        )


def _validate_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise UsageError(
            f"密码至少 {MIN_PASSWORD} 个字符。", f"A password has at least {MIN_PASSWORD} characters.",
            f"비밀번호는 {MIN_PASSWORD}자 이상이어야 합니다.",
        )


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def get_user(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any] | None:
    """One account with its hash, or None."""
    rows = fetch_dicts(con, "get_user", {"name": name})
    return rows[0] if rows else None


def _require(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any]:
    user = get_user(con, name)
    if user is None:
        raise UsageError(f"没有用户“{name}”。", f"There is no user \"{name}\".", f"\"{name}\" 사용자가 없습니다.")
    return user


def add_user(con: duckdb.DuckDBPyConnection, name: str, role: str, password: str) -> None:
    """Create an account; the name must be new."""
    _validate_name(name)
    _validate_role(role)
    _validate_password(password)
    if get_user(con, name) is not None:
        raise UsageError(f"用户“{name}”已存在。", f"The user \"{name}\" already exists.",
                         f"\"{name}\" 사용자가 이미 있습니다.")
    con.execute(query_text("insert_user"), {"name": name, "role": role, "password_hash": hash_password(password),
                                            "now": _now()})


def list_users(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every account (no hashes)."""
    return fetch_dicts(con, "list_users")


def set_disabled(con: duckdb.DuckDBPyConnection, name: str, disabled: bool = True) -> None:
    """Disable (or re-enable) an account; a disabled account cannot log in."""
    _require(con, name)
    con.execute(query_text("update_user_disabled"), {"name": name, "disabled": disabled})


def reset_password(con: duckdb.DuckDBPyConnection, name: str, password: str) -> None:
    """Set a new password; this also lifts a lockout."""
    _require(con, name)
    _validate_password(password)
    con.execute(query_text("update_user_password"), {"name": name, "password_hash": hash_password(password)})


def _denied() -> AccessDenied:
    return AccessDenied("用户名或密码不正确。", "Wrong user name or password.", "사용자 이름 또는 비밀번호가 틀렸습니다.")


def _locked(until: datetime) -> AccessDenied:
    hhmm = until.strftime("%H:%M")
    return AccessDenied(
        f"登录失败次数过多，账户已锁定至 {hhmm}。请稍后再试或请管理员重置密码。",
        f"Too many failed logins: the account is locked until {hhmm}. Try later or ask an admin to reset the password.",
        f"로그인 실패가 너무 많아 {hhmm}까지 계정이 잠겼습니다. 나중에 다시 시도하거나 관리자에게 재설정을 요청하십시오.",
    )


def failure_delay(failures: int) -> float:
    """Seconds to wait before answering a failed login: grows with the failures in a row (max 3 s)."""
    return min(3.0, 0.5 * max(failures, 0))


def authenticate(con: duckdb.DuckDBPyConnection, name: str, password: str,
                 now: datetime | None = None, sleep: bool = True) -> dict[str, str]:
    """Check a login; returns {"name", "role"} or raises AccessDenied (failures are counted in the DB)."""
    now = now or _now()
    user = get_user(con, name or "")
    if user is None:
        check_password(_dummy_hash(), password or "")
        if sleep:
            time.sleep(failure_delay(1))
        raise _denied()
    if user["locked_until"] is not None and user["locked_until"] > now:
        raise _locked(user["locked_until"])
    ok = check_password(user["password_hash"], password or "")
    if not ok or user["disabled"]:
        # an expired lockout starts a fresh count
        failures = 1 if user["locked_until"] is not None else user["failed_logins"] + 1
        lock = None
        if failures >= settings.get_int("login_fail_limit"):
            lock = now + timedelta(minutes=settings.get_int("login_lockout_minutes"))
        con.execute(query_text("update_user_failure"), {"name": name, "failures": failures, "locked_until": lock})
        if sleep:
            time.sleep(failure_delay(failures))
        if lock is not None:
            raise _locked(lock)
        raise _denied()
    con.execute(query_text("update_user_success"), {"name": name, "now": now})
    return {"name": user["name"], "role": user["role"]}


# ----------------------------------------------------------------- sessions (the login contract)

def session_seconds() -> float:
    """How long an idle staff session lives."""
    return settings.get_int("session_minutes") * 60.0


def new_session(user: dict[str, str], now: float | None = None) -> dict[str, Any]:
    """The value pages keep in st.session_state["user"]: {"name", "role", "expires"} (epoch seconds)."""
    now = time.time() if now is None else now
    return {"name": user["name"], "role": user["role"], "expires": now + session_seconds()}


def refresh(session: Any, now: float | None = None) -> dict[str, Any] | None:
    """The session with its idle timer restarted, or None when it is missing, malformed or expired."""
    now = time.time() if now is None else now
    if not isinstance(session, dict) or session.get("role") not in ROLES or not session.get("name"):
        return None
    try:
        if float(session.get("expires", 0)) <= now:
            return None
    except (TypeError, ValueError):
        return None
    return {**session, "expires": now + session_seconds()}


def still_active(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """False when the account was disabled (or removed) after the session began."""
    user = get_user(con, name)
    return user is not None and not user["disabled"]

