"""The staff login contract: st.session_state["user"] = {"name", "role", "expires"}, idle expiry, logout.

app.py asks `current_role()` before registering pages, so an expired or missing login
gets only the public pages. Staff pages start with `require(roles)`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import streamlit as st

from app_pages import strings_staff  # noqa: F401  (registers the staff strings)
from app_pages.i18n import t
from funds import accounts, audit_log, settings
from funds.staff_db import staff_connection

LOGIN_PAGE = "app_pages/login.py"


def db_path() -> Path:
    """The database this app serves (FUNDS_DB)."""
    return settings.db_path(os.environ.get("FUNDS_DB"))


def current_role() -> str | None:
    """The role of a live login (restarting its idle timer), or None; an expired login is dropped."""
    session = accounts.refresh(st.session_state.get("user"))
    if session is None:
        if st.session_state.get("user") is not None:
            st.session_state.pop("user", None)
            st.session_state["login_notice"] = "staff.session_expired"
        return None
    st.session_state["user"] = session
    return str(session["role"])


def require(roles: tuple[str, ...]) -> dict[str, Any]:
    """The logged-in user if their role is in `roles` (admin always passes), else stop the page."""
    role = current_role()
    if role is None or (role not in roles and role != "admin"):
        st.warning(t("staff.login_required"))
        st.page_link(LOGIN_PAGE, label=t("nav.login"), icon=":material/login:")
        st.stop()
    account_box()
    return dict(st.session_state["user"])


def account_box() -> None:
    """Who is logged in and a logout button, in the sidebar."""
    user = st.session_state.get("user")
    if not isinstance(user, dict):
        return
    with st.sidebar:
        st.caption(t("staff.logged_in_as", name=user["name"], role=t(f"role.{user['role']}")))
        if st.button(t("staff.logout"), key="staff_logout", icon=":material/logout:"):
            logout()


def logout() -> None:
    """End the login, note it in the audit log, and go back to the public pages."""
    user = st.session_state.pop("user", None)
    if isinstance(user, dict):
        try:
            with staff_connection(db_path()) as con:
                audit_log.record(con, user["name"], "logout")
        except Exception:  # the logout itself must never fail
            pass
    st.rerun()
