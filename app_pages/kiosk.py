"""Kiosk lookup (placeholder until the app issue fills it in)."""

import streamlit as st

from app_pages.i18n import t

st.title(t("app.title"))
