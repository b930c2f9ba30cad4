"""The kiosk's inquiry screens: report a problem (from a lookup result or without one), check a ticket."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages import kiosk_state as ks
from app_pages.i18n import t
from funds import inquiries

ss = st.session_state


def _show_ticket(ticket: str) -> None:
    st.success(t("inq.filed"))
    st.markdown(f'<div class="kiosk-ticket" data-testid="kiosk-ticket">{ticket}</div>', unsafe_allow_html=True)


def render_inquiry(path: Path) -> None:
    """Report a problem; on success the ticket is shown large, to be written down."""
    st.header(t("inq.title"))
    if ss.get("kiosk_ticket_filed"):
        _show_ticket(ss["kiosk_ticket_filed"])
        return
    link = ss.get("kiosk_link")
    if link:
        st.info(t("inq.linked", place=f"{link['township']} {link['village']}"))
        township, village = link["township"], link["village"]
    else:
        with inquiries.reading(path) as con:
            places = inquiries.places(con)
        unknown = t("inq.unknown_place")
        township = st.selectbox(t("col.township"), [unknown, *places], key="inq_township")
        villages = places.get(township, [])
        village = st.selectbox(t("col.village"), [unknown, *villages], key="inq_village", disabled=not villages)
        township = None if township == unknown else township
        village = None if village == unknown else village
    with st.form("kiosk_inquiry", clear_on_submit=True):
        kind = st.radio(t("col.kind"), inquiries.KINDS, format_func=lambda k: t(f"inq.kind.{k}"), key="inq_kind")
        text = st.text_area(t("inq.text"), max_chars=inquiries.MAX_TEXT, key="inq_text")
        phone = st.text_input(t("inq.phone"), max_chars=20, autocomplete="off", key="inq_phone")
        submitted = st.form_submit_button(t("inq.submit"), type="primary", use_container_width=True)
    if submitted:
        with inquiries.writing(path) as con:
            ticket = inquiries.file(con, kind, text or "", township, village, phone or None,
                                    link["id_hash"] if link else None)
        ss["kiosk_ticket_filed"] = ticket
        st.rerun()


def render_ticket(path: Path) -> None:
    """Enter a ticket to see the status of a report and the reply."""
    st.header(t("kiosk.mode_ticket"))
    if ks.locked():
        ks.countdown()
        return
    with st.form("kiosk_ticket", clear_on_submit=True):
        ticket = st.text_input(t("inq.ticket"), max_chars=20, autocomplete="off", key="inq_ticket_text")
        submitted = st.form_submit_button(t("inq.check"), type="primary", use_container_width=True)
    if submitted:
        with inquiries.reading(path) as con:
            found = inquiries.get(con, ticket or "")
        if found is None:
            ks.fail()
            ss["kiosk_ticket_view"] = {"unknown": True}
        else:
            ss["kiosk_ticket_view"] = found
        st.rerun()
    view = ss.get("kiosk_ticket_view")
    if not view:
        return
    if view.get("unknown"):
        st.warning(t("inq.unknown_ticket"))
        return
    st.markdown(f'<div class="kiosk-ticket">{view["ticket"]}</div>', unsafe_allow_html=True)
    st.subheader(t(f"inq.status.{view['status']}"))
    st.write(t("inq.filed_on", when=view["created_at"].strftime("%Y-%m-%d %H:%M")) + " · "
             + t(f"inq.kind.{view['kind']}") + (f" · {view['text']}" if view["text"] else ""))
    if view["reply"]:
        st.write(t("inq.replied_on", when=view["replied_at"].strftime("%Y-%m-%d %H:%M")))
        st.info(view["reply"])
    else:
        st.write(t("inq.no_reply"))
