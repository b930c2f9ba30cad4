"""Auditor: days from approval to payment, bucketed by group, with a distribution chart and the slowest items."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app_pages import audit_common as ac
from app_pages.i18n import t
from funds import lag

ac.start("nav.audit_lag")
data, frame = ac.lag_view("lag")

labels = data["buckets"]
rows = [{t("au.key"): g["key"], **{f"{t('au.paid')} {b}": g["paid"][b] for b in labels},
         **{f"{t('au.unpaid')} {b}": g["unpaid"][b] for b in labels},
         t("au.breaches"): g["breaches"], t("au.overdue"): g["overdue_unpaid"], t("au.items"): g["items"]}
        for g in data["groups"]]
if not rows:
    st.info(t("au.no_rows"))
    st.stop()
st.dataframe(rows, hide_index=True, use_container_width=True)
ac.downloads(list(rows[0]), rows, f"lag_{data['kind']}_{data['by']}", "lag_groups")

st.subheader(t("au.distribution"))
paid = frame[frame["paid"]]
if len(paid):
    counts = paid["lag_days"].astype(int).value_counts().sort_index()
    chart_data = pd.DataFrame({"days": counts.index, "count": counts.to_numpy()})
    st.altair_chart(alt.Chart(chart_data).mark_bar().encode(
        x=alt.X("days:Q", title=t("au.days")), y=alt.Y("count:Q", title=t("au.count"))), use_container_width=True)

st.subheader(t("au.slowest"))
slow = lag.slowest(frame, 20)
st.dataframe(slow, hide_index=True, use_container_width=True)
ac.downloads(list(slow.columns), slow.to_dict("records"), f"slowest_{data['kind']}", "lag_slowest")
