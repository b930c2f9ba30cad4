"""Auditor: per fund and year, allocated vs paid to households and projects vs disclosed, with drill-down."""

from __future__ import annotations

import streamlit as st

from app_pages import audit_common as ac
from app_pages import session
from app_pages.i18n import t
from funds import db, money, reconcile

ac.start("nav.audit_reconcile")
st.caption(t("au.reconcile_help"))
year = ac.year_choice("rec_year")
with ac.guarded(), db.reading(session.db_path()) as con:
    rows = reconcile.table(con, year)
if not rows:
    st.info(t("au.no_rows"))
    st.stop()
st.metric(t("au.unbalanced", n=sum(1 for r in rows if not r["balanced"])), len(rows))
shown = [{k: (money.grouped(v) if k in reconcile.MONEY else v) for k, v in r.items()} for r in rows]
st.dataframe(shown, hide_index=True, use_container_width=True)
ac.downloads(list(rows[0]), rows, "reconciliation", "rec_all")

st.subheader(t("au.drill"))
pick = st.selectbox(t("au.fund"), [(r["year"], r["fund_code"]) for r in rows],
                    format_func=lambda p: f"{p[0]} {p[1]}", key="rec_pick")
with ac.guarded(), db.reading(session.db_path()) as con:
    detail = reconcile.drill(con, pick[0], pick[1])
for kind, items in detail.items():
    st.markdown(f"**{t('au.kind.' + kind)}** ({len(items)})")
    if items:
        st.dataframe(items, hide_index=True, use_container_width=True)
        ac.downloads(list(items[0]), items, f"{pick[1]}_{pick[0]}_{kind}", f"rec_{kind}")
