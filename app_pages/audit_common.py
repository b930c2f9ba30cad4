"""Helpers shared by the auditor pages: the login check, one error handler, year choice, export buttons."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from app_pages import guard, session, strings_audit  # noqa: F401  (registers the auditor strings)
from app_pages.i18n import language_switch, t
from funds import db, lag, tables

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


def lag_view(prefix: str) -> tuple[dict[str, Any], Any]:
    """The filter row of the lag and ageing pages (kind, grouping, year, as-of, working days) and its data.

    Returns lag.summary(...) and lag.items(...) for the chosen filters; widget keys start with `prefix`.
    """
    c1, c2, c3, c4 = st.columns(4)
    kind = c1.selectbox(t("au.kind"), lag.KINDS, format_func=lambda k: t(f"au.kind.{k}"), key=f"{prefix}_kind")
    by = c2.selectbox(t("au.by"), list(lag.GROUP_BY), format_func=lambda b: t(f"au.by.{b}"), key=f"{prefix}_by")
    with c3:
        year = year_choice(f"{prefix}_year")
    as_of = c4.date_input(t("au.as_of"), dt.date.today(), key=f"{prefix}_as_of")
    working = st.toggle(t("au.working_days"), key=f"{prefix}_working")
    with guarded(), db.reading(session.db_path()) as con:
        return lag.summary(con, kind, by, year, as_of, working), lag.items(con, kind, year, as_of, working)
