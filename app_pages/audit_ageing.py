"""Auditor: items with no paid date, aged against an as-of date, in the same buckets as the lag report."""

from __future__ import annotations

import streamlit as st

from app_pages import audit_common as ac
from app_pages.i18n import t
from funds import lag

ac.start("nav.audit_ageing")
data, frame = ac.lag_view("age")

labels = data["buckets"]
rows = [{t("au.key"): g["key"], **{f"{t('au.unpaid')} {b}": g["unpaid"][b] for b in labels},
         t("au.overdue"): g["overdue_unpaid"]}
        for g in data["groups"] if sum(g["unpaid"].values())]
if not rows:
    st.info(t("au.no_rows"))
    st.stop()
st.dataframe(rows, hide_index=True, use_container_width=True)
ac.downloads(list(rows[0]), rows, f"ageing_{data['kind']}_{data['by']}", "age_groups")
st.subheader(t("au.oldest_unpaid"))
oldest = lag.slowest(frame, 200, unpaid=True)
st.dataframe(oldest, hide_index=True, use_container_width=True)
ac.downloads(list(oldest.columns), oldest.to_dict("records"), f"unpaid_{data['kind']}", "age_items")
