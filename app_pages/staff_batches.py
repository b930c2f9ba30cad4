"""Batch history (finance, admin): who loaded what, when, how many rows; replace a batch with a corrected file."""

from __future__ import annotations

import streamlit as st

from app_pages import session, upload_flow
from app_pages.i18n import lang, language_switch, t
from funds import db
from funds.errors import FundsError
from schemas.columns import KINDS

user = session.require(("finance", "admin"))
language_switch()
st.title(t("bt.title"))

try:
    with db.reading(session.db_path()) as con:
        batches = db.fetch_dicts(con, "list_batches")
        attempts = db.fetch_dicts(con, "list_ingest_log", {"limit": 100})
except FundsError as exc:
    st.error(exc.message(lang()))
    st.stop()

if not batches:
    st.info(t("bt.none"))
else:
    st.dataframe([{**b, "kind": KINDS[b["kind"]].label(lang()) if b["kind"] in KINDS else b["kind"]}
                  for b in batches], hide_index=True, width="stretch",
                 column_order=["batch_id", "kind", "file_name", "user_name", "loaded_at", "rows", "warnings",
                               "status", "replaces", "superseded_by"])

with st.expander(t("bt.attempts")):
    st.dataframe(attempts, hide_index=True, width="stretch")

live = [b for b in batches if b["status"] == "loaded"]
if live:
    st.subheader(t("bt.replace"))
    chosen = st.selectbox(t("bt.choose"), live, key="bt_choice",
                          format_func=lambda b: f"#{b['batch_id']} · {KINDS[b['kind']].label(lang())} · "
                                                f"{b['file_name']} · {b['rows']}")
    if chosen is not None:
        upload_flow.render(user, prefix=f"bt{chosen['batch_id']}",
                           replacing={"batch_id": chosen["batch_id"], "kind": chosen["kind"]})
