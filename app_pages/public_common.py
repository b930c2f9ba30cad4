"""Helpers shared by the public pages: the database path, large-text styling, one error handler, downloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from app_pages import guard, strings_public  # noqa: F401  (registers the strings)
from app_pages.i18n import t
from funds import exports, settings

# Big type and touch-sized controls (a finger, not a mouse): readable at 1080x1920 and 1366x768.
KIOSK_CSS = """
<style>
html, body, [class*="css"] { font-size: 22px; }
.block-container, [data-testid="stMainBlockContainer"] { padding-top: 4rem; }
.stApp h1 { font-size: 2.4rem; }
.stApp h2 { font-size: 1.9rem; }
.stApp h3 { font-size: 1.5rem; }
.stButton button, .stFormSubmitButton button, .stDownloadButton button {
    min-height: 3.2rem; font-size: 1.3rem; padding: 0.4rem 1.2rem; }
.stTextInput input, .stTextArea textarea { font-size: 1.5rem; min-height: 3rem; }
.stTable td, .stTable th { font-size: 1.15rem; padding: 0.45rem 0.6rem; }
.kiosk-total { font-size: 2.1rem; font-weight: 700; margin: 0.6rem 0; }
.kiosk-ticket { font-size: 2.6rem; font-weight: 700; letter-spacing: 0.15em; font-family: monospace; }
[data-testid="stToolbar"], [data-testid="stMainMenu"] { display: none; }
</style>
"""


def db_path() -> Path:
    """The database this app serves (FUNDS_DB)."""
    return settings.db_path()


def style() -> None:
    """Large text and touch-sized controls for public screens."""
    st.markdown(KIOSK_CSS, unsafe_allow_html=True)


guarded = guard.guarded  # re-exported: public pages import it from here


def category(code: str | None) -> str:
    """A fund category in the current language."""
    return t(f"cat.{code}") if code in ("household", "project") else (code or "")


def downloads(rows: list[dict[str, Any]], columns: list[tuple[str, str]], stem: str, key: str) -> None:
    """CSV and XLSX download buttons for exactly the rows shown (already masked)."""
    left, right = st.columns(2)
    left.download_button(t("pub.download_csv"), exports.to_csv(rows, columns), file_name=f"{stem}.csv",
                         mime="text/csv", key=f"{key}_csv", use_container_width=True)
    right.download_button(t("pub.download_xlsx"), exports.to_xlsx(rows, columns, stem), file_name=f"{stem}.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"{key}_xlsx", use_container_width=True)
