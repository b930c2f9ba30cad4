"""Staff upload (finance, admin): check a spreadsheet in the background, read the report, confirm the load."""

from __future__ import annotations

import streamlit as st

from app_pages import session, upload_flow
from app_pages.i18n import language_switch, t

user = session.require(("finance", "admin"))
language_switch()
st.title(t("up.title"))
upload_flow.render(user, prefix="up")
