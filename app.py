"""The Streamlit app: kiosk lookup (landing page), public disclosure, staff and auditor workspaces.

Run with `streamlit run app.py`; it serves the database named by FUNDS_DB.
Pages are registered per role (app_pages/registry.py): a page a role may not see is not
registered at all, so its URL cannot be reached.
"""

from __future__ import annotations

import logging

import streamlit as st

from app_pages import i18n, registry, session
from funds import household
from funds.errors import FundsError

st.set_page_config(page_title="财政专项资金公开查询", page_icon="💴", layout="wide",
                   initial_sidebar_state="collapsed")

try:
    household.keep_warm()  # each snapshot this server opens: what kiosk lookups read, into memory
except FundsError as exc:  # a bad FUNDS_KIOSK_WARM_MB: lookups still answer, from the file; the log says why
    logging.getLogger("funds.app").warning("%s", exc.message("en"))
role = session.current_role()  # None when not logged in or the login expired (idle > session_minutes)
pages = [st.Page(p.path, title=i18n.t(p.title_key), url_path=p.url_path, icon=p.icon or None, default=p.default)
         for p in registry.visible(role)]
st.navigation(pages).run()
