"""Public disclosure: projects with amounts and progress, department budgets with budget vs actual."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app_pages.i18n import language_switch, t
from app_pages.public_common import db_path, downloads, guarded, style
from funds import inquiries, money, public


def _projects(con: object, year: int) -> None:
    rows = public.projects(con, year)
    st.header(t("pub.projects", year=year))
    cols = [("project_code", t("col.code")), ("project_name", t("col.project")), ("fund_name", t("col.fund")),
            ("township", t("col.township")), ("village", t("col.village")), ("implementer", t("col.implementer")),
            ("amount", t("col.amount")), ("paid_amount", t("col.paid_amount")), ("progress_pct", t("col.progress")),
            ("status", t("col.status"))]
    for r in rows:
        r["progress_pct"] = f"{r['progress'] * 100:.0f}%"
    st.table([{h: (money.grouped(r[k]) if k in ("amount", "paid_amount") else (r[k] or "—")) for k, h in cols}
              for r in rows], hide_index=True)
    if rows:
        frame = pd.DataFrame({"project": [r["project_name"] for r in rows],
                              # chart only: exact amounts are in the table and downloads
                              "progress": [float(r["progress"]) for r in rows]})
        st.altair_chart(alt.Chart(frame).mark_bar().encode(
            x=alt.X("progress:Q", title=t("col.progress"), axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("project:N", title=None, sort="-x")).properties(height=max(160, 26 * len(rows))),
            use_container_width=True)
    downloads(rows, cols, f"projects_{year}", "dl_projects")


def _budgets(con: object, year: int) -> None:
    items = public.budgets(con, year)
    st.header(t("pub.budgets", year=year))
    depts = public.budgets_by_department(items)
    if depts:
        st.subheader(t("pub.budget_vs_actual"))
        budget, actual = t("pub.series.budget"), t("pub.series.actual")
        frame = pd.DataFrame([{"department": d["department"], "series": s, "amount": float(d[k])}
                              for d in depts for s, k in ((budget, "budget"), (actual, "actual"))])
        st.altair_chart(alt.Chart(frame).mark_bar().encode(
            x=alt.X("amount:Q", title=t("col.amount")), y=alt.Y("series:N", title=None),
            row=alt.Row("department:N", title=None, header=alt.Header(labelAngle=0, labelAlign="left")),
            color=alt.Color("series:N", title=None),
            tooltip=["department:N", "series:N", alt.Tooltip("amount:Q", format=",.2f")]),
            use_container_width=False)
    cols = [("department", t("col.department")), ("category", t("col.budget_category")), ("item", t("col.item")),
            ("budget", t("col.budget")), ("actual", t("col.actual"))]
    st.table([{h: (money.grouped(r[k]) if k in ("budget", "actual") and r[k] is not None else (r[k] or "—"))
               for k, h in cols} for r in items], hide_index=True)
    downloads(items, cols, f"budgets_{year}", "dl_budgets")


def page() -> None:
    """Render the page."""
    with inquiries.reading(db_path()) as con:
        years = public.years(con)
        if not years:
            st.info(t("pub.no_data"))
            return
        year = st.selectbox(t("pub.year"), years, key="proj_year")
        _projects(con, year)
        _budgets(con, year)


style()
language_switch()
st.title(t("nav.projects"))
with guarded():
    page()
