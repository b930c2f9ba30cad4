"""Auditor: anomaly leads to review (never automatic cut-offs), each with its rows and a review note."""

from __future__ import annotations

import streamlit as st

from app_pages import audit_common as ac
from app_pages import session
from app_pages.i18n import t
from funds import db, leads

user = ac.start("nav.audit_leads")
st.caption(t("au.leads_note"))
c1, c2, c3 = st.columns(3)
with c1:
    year = ac.year_choice("leads_year")
codes = c2.multiselect(t("au.code"), leads.CODES, key="leads_codes")
show_reviewed = c3.toggle(t("au.show_reviewed"), key="leads_reviewed")

with ac.guarded(), db.reading(session.db_path()) as con:
    found = leads.find(con, year)
open_count = sum(1 for x in found if not x["reviewed"])
st.write(t("au.lead_count", n=len(found), open=open_count))
shown = [x for x in found if (not codes or x["code"] in codes) and (show_reviewed or not x["reviewed"])]
if not shown:
    st.info(t("au.no_rows"))
    st.stop()
table = [{"code": x["code"], "fund_code": x["fund_code"], "id_masked": x["id_masked"], "year": x["year"],
          "rows": len(x["rows"]), "detail": x["detail"], "reviewed": x["reviewed"],
          "note": (x["review"] or {}).get("note")} for x in shown]
st.dataframe(table, hide_index=True, use_container_width=True)
ac.downloads(list(table[0]), table, "leads", "leads_all")

lead = st.selectbox(t("au.pick_lead"), shown, key="leads_pick",
                    format_func=lambda x: f"[{x['code']}] {x['fund_code']} {x['id_masked']} - {x['detail']}")
with ac.guarded(), db.reading(session.db_path()) as con:
    rows = leads.rows(con, lead)
st.dataframe(rows, hide_index=True, use_container_width=True)
if lead["review"]:
    st.success(t("au.reviewed_by", **lead["review"]))
with st.form("leads_review"):
    note = st.text_area(t("au.note"), value=(lead["review"] or {}).get("note") or "", key="leads_note")
    left, right = st.columns(2)
    mark = left.form_submit_button(t("au.mark_reviewed"), type="primary")
    reopen = right.form_submit_button(t("au.reopen"), disabled=not lead["reviewed"])
if mark or reopen:
    with ac.guarded(), ac.writing() as con:
        if mark:
            leads.review(con, lead["lead_key"], lead["code"], user["name"], note)
        else:
            leads.unreview(con, lead["lead_key"])
    st.toast(t("au.saved"))
    st.rerun()
