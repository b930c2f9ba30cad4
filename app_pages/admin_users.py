"""Accounts (admin): add staff, disable or re-enable them, reset passwords, read the audit log."""

from __future__ import annotations

import streamlit as st

from app_pages import session
from app_pages.i18n import lang, language_switch, t
from funds import accounts, audit_log
from funds.errors import FundsError
from funds.staff_db import staff_connection

user = session.require(("admin",))
language_switch()
st.title(t("ad.title"))


def _act(action: str, detail: dict[str, str], fn) -> None:  # type: ignore[no-untyped-def]
    """Run one change and its audit entry together; show the outcome."""
    try:
        with staff_connection(session.db_path()) as con:
            fn(con)
            audit_log.record(con, user["name"], action, detail)
        st.success(t("ad.done", name=detail.get("name", "")))
    except FundsError as exc:
        st.error(exc.message(lang()))


with st.form("ad_add", clear_on_submit=True):
    st.subheader(t("ad.add"))
    name = st.text_input(t("staff.user"), key="ad_name")
    role = st.selectbox(t("ad.role"), accounts.ROLES, format_func=lambda r: t(f"role.{r}"), key="ad_role")
    password = st.text_input(t("staff.password"), type="password", key="ad_password")
    if st.form_submit_button(t("ad.add"), type="primary"):
        _act("user-add", {"name": name.strip(), "role": role},
             lambda con: accounts.add_user(con, name.strip(), role, password))

try:
    with staff_connection(session.db_path()) as con:
        users = accounts.list_users(con)
        log = audit_log.recent(con, 200)
except FundsError as exc:
    st.error(exc.message(lang()))
    st.stop()

st.dataframe(users, hide_index=True, width="stretch")

if users:
    names = [u["name"] for u in users]
    with st.form("ad_change"):
        target = st.selectbox(t("ad.which"), names, key="ad_target")
        new_password = st.text_input(t("ad.new_password"), type="password", key="ad_new_password")
        cols = st.columns(3)
        disable = cols[0].form_submit_button(t("ad.disable"))
        enable = cols[1].form_submit_button(t("ad.enable"))
        reset = cols[2].form_submit_button(t("ad.reset"))
    if disable:
        if target == user["name"]:
            st.error(t("ad.self"))
        else:
            _act("user-disable", {"name": target}, lambda con: accounts.set_disabled(con, target, True))
    if enable:
        _act("user-enable", {"name": target}, lambda con: accounts.set_disabled(con, target, False))
    if reset:
        _act("user-password-reset", {"name": target},
             lambda con: accounts.reset_password(con, target, new_password))
    if disable or enable or reset:
        with staff_connection(session.db_path()) as con:
            log = audit_log.recent(con, 200)

with st.expander(t("ad.audit")):
    st.dataframe(log, hide_index=True, width="stretch")
