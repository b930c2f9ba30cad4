"""Auditor: saved, parameterised queries first, then free read-only SQL in the sandbox; results exportable."""

from __future__ import annotations

import streamlit as st

from app_pages import audit_common as ac
from app_pages import session
from app_pages.i18n import t
from funds import db, settings, sqlconsole

user = ac.start("nav.audit_sql")
st.caption(t("au.sql_help", s=settings.get("sql_timeout"), n=settings.get("sql_max_rows")))

with ac.guarded(), db.reading(session.db_path()) as con:
    try:
        saved = sqlconsole.saved(con)
    except Exception:  # a database from before migration 0004 has no saved queries yet
        saved = []
names = [None] + [q["name"] for q in saved]
by_name = {q["name"]: q for q in saved}
choice = st.selectbox(t("au.saved_queries"), names, key="sql_saved",
                      format_func=lambda n: t("au.own_query") if n is None else f"{n} - {by_name[n]['description']}")
default = by_name[choice]["sql"] if choice else "select fund_code, count(*) as payments, sum(amount) as yuan\n" \
    "from payments group by fund_code order by fund_code"
query = st.text_area(t("au.query"), value=default, height=160, key=f"sql_text_{choice}")
params = {}
for name in sqlconsole.parameters(query):
    params[name] = st.text_input(f"${name}", key=f"sql_param_{name}")

left, right = st.columns([1, 3])
if left.button(t("au.run"), type="primary", key="sql_run"):
    with ac.guarded():
        st.session_state["sql_result"] = sqlconsole.run(session.db_path(), query, params)
with right.popover(t("au.save")):
    save_name = st.text_input(t("au.save_as"), key="sql_save_name")
    save_desc = st.text_input("description", key="sql_save_desc")
    if st.button(t("au.save"), key="sql_save"):
        with ac.guarded(), ac.writing() as con:
            sqlconsole.save(con, save_name.strip(), query, save_desc, user["name"])
        st.toast(t("au.saved"))

result = st.session_state.get("sql_result")
if result is not None:
    if result.truncated:
        st.warning(t("au.truncated", n=result.limit))
    st.caption(t("au.rows_in", n=len(result.rows), s=result.seconds))
    st.dataframe([dict(zip(result.columns, (str(v) if isinstance(v, int) and abs(v) > 2**53 else v for v in r), strict=False))
                  for r in result.rows], hide_index=True, use_container_width=True)
    ac.downloads(result.columns, result.rows, "query", "sql_dl")
