"""Helpers shared by the auditor pages: the login check, one error handler, year choice, export buttons."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages import guard, session, strings_audit  # noqa: F401  (registers the auditor strings)
from app_pages.i18n import language_switch, t
from funds import db, tables

ROLES = ("auditor", "admin")


def start(title_key: str) -> dict[str, Any]:
    """Require an auditor (or admin) login, then show the language switch and the title."""
    user = session.require(ROLES)
    language_switch()
    st.title(t(title_key))
    return user


def guarded() -> Any:
    """Show a problem as a message and stop the page; never a traceback."""
    return guard.guarded(stop=True)


def writing() -> Any:
    """A write connection whose change readers see at once (a new reader snapshot when the app has them)."""
    if hasattr(db, "writing"):
        return db.writing(session.db_path())
    from funds.staff_db import staff_connection

    return staff_connection(session.db_path())


def years() -> list[int]:
    """Years of the fund catalogue, newest first."""
    with guarded(), db.reading(session.db_path()) as con:
        rows = db.fetch_dicts(con, "list_years")
    return [int(r["year"]) for r in rows]


def year_choice(key: str, allow_all: bool = True) -> int | None:
    """A year select box (optionally 'all years')."""
    options: list[int | None] = ([None] if allow_all else []) + years()  # type: ignore[list-item]
    if not options:
        st.info(t("au.no_years"))
        st.stop()
    return st.selectbox(t("au.year"), options, format_func=lambda y: t("au.all_years") if y is None else str(y),
                        key=key)


def downloads(columns: list[str], rows: list[Any], stem: str, key: str) -> None:
    """CSV, XLSX and Parquet downloads of exactly this table (formula-like text neutralised)."""
    cols = st.columns(3)
    for col, fmt in zip(cols, ("csv", "xlsx", "parquet"), strict=False):
        col.download_button(t("au.download", fmt=fmt.upper()), tables.to_bytes(fmt, columns, rows, stem[:31]),
                            file_name=f"{stem}.{fmt}", mime=tables.FORMATS[fmt], key=f"{key}_{fmt}",
                            use_container_width=True)
