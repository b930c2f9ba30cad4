"""Auditor: items with no paid date, aged against an as-of date, in the same buckets as the lag report."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from app_pages import audit_common as ac
from app_pages import session
from app_pages.i18n import t
from funds import db, lag

ac.start("nav.audit_ageing")
c1, c2, c3, c4 = st.columns(4)
kind = c1.selectbox(t("au.kind"), lag.KINDS, format_func=lambda k: t(f"au.kind.{k}"), key="age_kind")
by = c2.selectbox(t("au.by"), list(lag.GROUP_BY), format_func=lambda b: t(f"au.by.{b}"), key="age_by")
with c3:
    year = ac.year_choice("age_year")
as_of = c4.date_input(t("au.as_of"), dt.date.today(), key="age_as_of")
working = st.toggle(t("au.working_days"), key="age_working")

with ac.guarded(), db.reading(session.db_path()) as con:
    data = lag.summary(con, kind, by, year, as_of, working)
    frame = lag.items(con, kind, year, as_of, working)

labels = data["buckets"]
rows = [{t("au.key"): g["key"], **{f"{t('au.unpaid')} {b}": g["unpaid"][b] for b in labels},
         t("au.overdue"): g["overdue_unpaid"]}
        for g in data["groups"] if sum(g["unpaid"].values())]
if not rows:
    st.info(t("au.no_rows"))
    st.stop()
st.dataframe(rows, hide_index=True, use_container_width=True)
ac.downloads(list(rows[0]), rows, f"ageing_{kind}_{by}", "age_groups")
st.subheader(t("au.oldest_unpaid"))
oldest = lag.slowest(frame, 200, unpaid=True)
st.dataframe(oldest, hide_index=True, use_container_width=True)
ac.downloads(list(oldest.columns), oldest.to_dict("records"), f"unpaid_{kind}", "age_items")
