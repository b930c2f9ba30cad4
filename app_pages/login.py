"""Staff login (public page): name + password, throttled and locked out after repeated failures."""

from __future__ import annotations

import streamlit as st

from app_pages import session
from app_pages.i18n import lang, language_switch, t
from funds import accounts, audit_log
from funds.errors import FundsError
from funds.staff_db import staff_connection

language_switch()
st.title(t("staff.login_title"))

notice = st.session_state.pop("login_notice", None)
if notice:
    st.info(t(notice))

if session.current_role() is not None:
    user = st.session_state["user"]
    st.success(t("staff.login_ok", name=user["name"]))
    session.account_box()
    st.stop()

with st.form("staff_login", clear_on_submit=True):
    name = st.text_input(t("staff.user"), key="login_name")
    password = st.text_input(t("staff.password"), type="password", key="login_password")
    submitted = st.form_submit_button(t("staff.login"), type="primary")

if submitted:
    try:
        with staff_connection(session.db_path()) as con:
            if not accounts.list_users(con):
                st.warning(t("staff.no_accounts"))
                st.stop()
            try:
                user = accounts.authenticate(con, name.strip(), password)
            except FundsError:
                audit_log.record(con, name.strip()[:40] or "-", "login-failed")
                raise
            audit_log.record(con, user["name"], "login")
    except FundsError as exc:
        st.error(exc.message(lang()))
        st.stop()
    st.session_state["user"] = accounts.new_session(user)
    st.rerun()
