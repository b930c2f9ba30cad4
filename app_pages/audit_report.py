"""Auditor: the annual disclosure report, the same figures as `funds report`, with a printable version."""

from __future__ import annotations

import html
import json

import streamlit as st

from app_pages import audit_common as ac
from app_pages import session
from app_pages.i18n import lang, t
from funds import db, disclosure

ac.start("nav.audit_report")
year = ac.year_choice("report_year", allow_all=False)
with ac.guarded(), db.reading(session.db_path()) as con:
    data = disclosure.annual(con, year)
text = disclosure.paragraph(data, lang())
st.caption(t("au.report_same", y=year))
st.markdown(f"> {text}")
c1, c2, c3, c4 = st.columns(4)
c1.metric(t("au.by.fund"), data["funds"]["count"])
c2.metric(t("au.kind.payments"), f"{data['household_payments']['count']:,}")
c3.metric(t("au.kind.projects"), data["projects"]["count"])
c4.metric(t("au.kind.allocations"), f"{data['allocations']['count']:,}")
st.json(data, expanded=False)
printable = (f"<!doctype html><html lang='{lang()}'><meta charset='utf-8'><title>{year}</title>"
             "<style>body{font:16pt/1.6 serif;max-width:40em;margin:2em auto}</style>"
             f"<body onload='window.print()'><h1>{html.escape(t('nav.audit_report'))} {year}</h1>"
             f"<p>{html.escape(text)}</p><pre>{html.escape(json.dumps(data, ensure_ascii=False, indent=2))}</pre>"
             "</body></html>")
st.download_button(t("au.report_print"), printable.encode("utf-8"), file_name=f"annual_report_{year}.html",
                   mime="text/html", key="report_print")
