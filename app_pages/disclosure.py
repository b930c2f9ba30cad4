"""Public disclosure: the funds of a year, drill-down fund → township → village, a village's public notice."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app_pages.i18n import language_switch, t
from app_pages.public_common import category, db_path, downloads, guarded, style
from funds import inquiries, money, public


def _chart(rows: list[dict], label_key: str, title: str) -> None:
    """A horizontal bar chart of amount (yuan) by label."""
    if not rows:
        return
    frame = pd.DataFrame({"label": [r[label_key] for r in rows],
                          # Altair needs numbers; the table beside it keeps the exact amounts
                          "amount": [float(r["amount"]) for r in rows]})
    chart = (alt.Chart(frame).mark_bar().encode(
        x=alt.X("amount:Q", title=t("col.amount")), y=alt.Y("label:N", sort="-x", title=None),
        tooltip=[alt.Tooltip("label:N", title=title), alt.Tooltip("amount:Q", title=t("col.amount"), format=",.2f")])
        .properties(height=max(160, 26 * len(rows))))
    st.altair_chart(chart, use_container_width=True)


def page() -> None:
    """Render the page."""
    path = db_path()
    with inquiries.reading(path) as con:
        years = public.years(con)
        if not years:
            st.info(t("pub.no_data"))
            return
        year = st.selectbox(t("pub.year"), years, key="pub_year")
        funds = public.funds_of_year(con, year)
        st.header(t("pub.funds_of_year", year=year))
        total = sum((f["amount"] for f in funds), start=money.yuan(0))
        c1, c2, c3, c4 = st.columns(4)
        c1.metric(t("pub.fund_count"), len(funds))
        c2.metric(t("pub.total_amount"), money.grouped(total))
        c3.metric(t("pub.households"), f"{sum(f['households'] for f in funds):,}")
        c4.metric(t("pub.project_count"), sum(f["projects"] for f in funds))
        cols = [("fund_code", t("col.code")), ("fund_name", t("col.fund")), ("category_label", t("col.category")),
                ("department", t("col.department")), ("households", t("col.households")),
                ("payments", t("col.count")), ("projects", t("col.projects")), ("amount", t("col.amount"))]
        shown = [{**f, "category_label": category(f["category"])} for f in funds]
        st.table([{h: (money.grouped(r[k]) if k == "amount" else r[k]) for k, h in cols} for r in shown],
                 hide_index=True)
        _chart(funds, "fund_name", t("col.fund"))
        downloads(shown, cols, f"funds_{year}", "dl_funds")

        st.header(t("pub.drill"))
        names = {f["fund_code"]: f"{f['fund_code']} {f['fund_name']}" for f in funds}
        fund = st.selectbox(t("pub.choose_fund"), list(names), format_func=names.get, key="pub_fund")
        towns = public.by_township(con, year, fund)
        place_cols = [("place", t("col.township")), ("households", t("col.households")), ("payments", t("col.count")),
                      ("projects", t("col.projects")), ("amount", t("col.amount"))]
        st.table([{h: (money.grouped(r[k]) if k == "amount" else r[k]) for k, h in place_cols} for r in towns],
                 hide_index=True)
        _chart(towns, "place", t("col.township"))
        downloads(towns, place_cols, f"{fund}_{year}_townships", "dl_towns")
        none = t("pub.all")
        township = st.selectbox(t("pub.choose_township"), [none] + [r["place"] for r in towns if r["place"]],
                                key="pub_township")
        if township == none:
            return
        villages = public.by_village(con, year, fund, township)
        village_cols = [("place", t("col.village")), *place_cols[1:]]
        st.table([{h: (money.grouped(r[k]) if k == "amount" else r[k]) for k, h in village_cols} for r in villages],
                 hide_index=True)
        _chart(villages, "place", t("col.village"))
        downloads(villages, village_cols, f"{fund}_{year}_{township}", "dl_villages")
        village = st.selectbox(t("pub.choose_village"), [none] + [r["place"] for r in villages if r["place"]],
                               key="pub_village")
        if village == none:
            return
        notice = public.village_notice(con, year, township, village, fund)
    st.subheader(t("pub.notice", village=f"{township} {village}"))
    st.caption(t("pub.notice_note"))
    notice_cols = [("name_masked", t("col.name_masked")), ("id_masked", t("col.id_masked")), ("fund_name", t("col.fund")),
                   ("amount", t("col.amount")), ("approved_date", t("col.approved")), ("paid_date", t("col.paid"))]
    st.table([{h: (money.grouped(r[k]) if k == "amount" else (r[k] if r[k] is not None else "—"))
               for k, h in notice_cols} for r in notice], hide_index=True)
    downloads(notice, notice_cols, f"{fund}_{year}_{township}_{village}", "dl_notice")


style()
language_switch()
st.title(t("pub.title"))
with guarded():
    page()
