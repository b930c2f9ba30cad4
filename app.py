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


@st.cache_resource(show_spinner=False)
def _keep_warm() -> None:
    """Once per server process (this script runs on every click): each snapshot it opens, what kiosk
    lookups read, into memory. A bad FUNDS_KIOSK_WARM_MB is logged once; lookups then read the file."""
    try:
        household.keep_warm()
    except FundsError as exc:
        logging.getLogger("funds.app").warning("%s", exc.message("en"))


st.set_page_config(page_title="财政专项资金公开查询", page_icon="💴", layout="wide",
                   initial_sidebar_state="collapsed")

_keep_warm()
role = session.current_role()  # None when not logged in or the login expired (idle > session_minutes)
pages = [st.Page(p.path, title=i18n.t(p.title_key), url_path=p.url_path, icon=p.icon or None, default=p.default)
         for p in registry.visible(role)]
st.navigation(pages).run()
