"""Kiosk lookup, the landing page: ID number then name, every payment of all years, totals per year.

Privacy at a shared screen: nothing personal goes into the URL (forms only), the result clears
itself after FUNDS_KIOSK_IDLE_SECONDS and on "finish", a wrong name reads exactly like an
unknown ID, and repeated failures from one session must wait FUNDS_LOOKUP_FAIL_WAIT seconds.
"""

from __future__ import annotations

import time

import streamlit as st

from app_pages import kiosk_state as ks
from app_pages.i18n import language_switch, t
from app_pages.kiosk_inquiry import render_inquiry, render_ticket
from app_pages.public_common import category, db_path, guarded, style
from funds import household, inquiries, keys, money, settings

ss = st.session_state


def _lookup(id_text: str, name: str) -> None:
    """Run one lookup and keep only what the screen needs (never the ID number itself)."""
    ks.clear_result()
    if not id_text.strip() or not name.strip():
        ss["kiosk_msg"] = "kiosk.missing"
        return
    path = db_path()
    key = keys.load(settings.secret_path(path))
    with inquiries.reading(path, reuse=True) as con:  # a lookup leaves nothing on its cursor
        result = household.lookup(con, key, id_text, name)
    if result.get("problem"):
        ss["kiosk_msg"] = "kiosk.bad_id"
        ks.fail()
        return
    if not result["found"]:
        ss["kiosk_msg"] = "kiosk.not_found"
        ks.fail()
        return
    last = result["payments"][-1]
    ss["kiosk_result"] = result
    ss["kiosk_link"] = {"id_hash": inquiries.id_hash_for(key, id_text), "township": last["township"],
                        "village": last["village"]}


def _result(result: dict) -> None:
    """The payments of one verified person: total, totals per year, every payment."""
    st.markdown(f'<div class="kiosk-total" data-testid="kiosk-total">'
                f'{t("kiosk.total", count=result["count"], amount=money.grouped(result["total_yuan"]))}</div>',
                unsafe_allow_html=True)
    st.subheader(t("kiosk.by_year"), anchor=False)
    st.table([{t("col.year"): str(y["year"]), t("col.count"): y["count"], t("col.amount"): money.grouped(y["total_yuan"])}
              for y in result["years"]], hide_index=True)
    st.subheader(t("kiosk.payments"), anchor=False)
    rows = []
    for p in result["payments"]:
        paid = p["status"] == "paid"
        rows.append({
            t("col.year"): str(p["year"]), t("col.fund"): p["fund_name"], t("col.category"): category(p["category"]),
            t("col.amount"): money.grouped(p["amount_yuan"]), t("col.approved"): p["approved_date"],
            t("col.paid"): p["paid_date"] or "—", t("col.days"): str(p["lag_days"]) if paid else "—",
            t("col.status"): t("status.paid") if paid else t("status.unpaid", days=p["waiting_days"]),
        })
    st.table(rows, hide_index=True)
    if st.button(t("kiosk.report_this"), key="kiosk_report", use_container_width=True):
        ss["kiosk_mode"] = "inquiry"
        st.rerun()


def _lookup_view() -> None:
    if ss.get("kiosk_result"):  # the result takes the form's place, so it is in view on a 768-high screen
        _result(ss["kiosk_result"])
        return
    if ks.locked():
        ks.countdown()
        return
    with st.form("kiosk_lookup", clear_on_submit=True, enter_to_submit=True):
        st.text_input(t("kiosk.id"), help=t("kiosk.id_help"), max_chars=24, autocomplete="off", key="kiosk_id")
        st.text_input(t("kiosk.name"), max_chars=40, autocomplete="off", key="kiosk_name")
        st.form_submit_button(t("kiosk.search"), type="primary", use_container_width=True, key="kiosk_search")
    if ss.get("kiosk_msg"):
        st.warning(t(ss["kiosk_msg"]))


def _answer_submitted() -> None:
    """Answer a lookup submitted from the last screen before anything is drawn.

    The result then takes the form's place, with the finish button above it, in this same run
    of the page: the browser gets the answer after one run, not after the form's run and a
    rerun (which doubled the server's work per lookup).
    """
    if ks.mode() == "lookup" and ss.get("kiosk_search") and not ks.locked():
        with guarded():
            _lookup(ss.get("kiosk_id") or "", ss.get("kiosk_name") or "")


style()
language_switch()
ks.expire_if_idle()
_answer_submitted()
st.title(t("kiosk.title"), anchor=False)
modes = ("lookup", "inquiry", "ticket")
cols = st.columns(len(modes))
for col, mode in zip(cols, modes, strict=True):
    if col.button(t(f"kiosk.mode_{mode}"), key=f"kiosk_mode_{mode}", use_container_width=True,
                  type="primary" if ks.mode() == mode else "secondary"):
        if mode == "lookup":
            ks.clear_all(keep_lang=True)
        ss["kiosk_mode"] = mode
        st.rerun()

if ks.has_personal():  # at the top, so it is in view however long the result is
    if st.button(t("kiosk.finish"), key="kiosk_finish", type="primary", use_container_width=True):
        ks.clear_all(keep_lang=True)
        st.rerun()
    st.caption(t("kiosk.idle_note", seconds=ks.idle_seconds()))

with guarded():
    if ks.mode() == "inquiry":
        render_inquiry(db_path())
    elif ks.mode() == "ticket":
        render_ticket(db_path())
    else:
        _lookup_view()

if ks.has_personal():
    ks.idle_watch()
ss["kiosk_last"] = time.time()
