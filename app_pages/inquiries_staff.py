"""Staff: open inquiries from villagers; reply and close (finance and admin roles)."""

from __future__ import annotations

import importlib
import time

import streamlit as st

from app_pages.i18n import language_switch, t
from app_pages.public_common import db_path, guarded
from funds import inquiries

STAFF_ROLES = ("finance", "admin")


def _user() -> dict | None:
    user = st.session_state.get("user")
    if isinstance(user, dict) and user.get("role") in STAFF_ROLES and user.get("expires", 0) > time.time():
        return user
    return None


def _audit(con: object, user: dict, action: str, detail: dict) -> None:
    """Write to the staff audit log when that module exists (built by the staff workspace)."""
    try:
        audit_log = importlib.import_module("funds.audit_log")
    except ImportError:
        return
    audit_log.record(con, user["name"], action, detail)


def page() -> None:
    """Render the page."""
    user = _user()
    if user is None:
        st.warning(t("staff.login_needed"))
        return
    show = st.radio(t("staff.show"), ("open", ""), format_func=lambda s: t("staff.show.open" if s else "staff.show.all"),
                    horizontal=True, key="staff_inq_show")
    with inquiries.reading(db_path()) as con:
        rows = inquiries.list_inquiries(con, show)
    if not rows:
        st.info(t("staff.none"))
        return
    for r in rows:
        place = " ".join(p for p in (r["township"], r["village"]) if p)
        with st.expander(f"{r['ticket']} · {r['created_at']:%Y-%m-%d %H:%M} · {place} · "
                         f"{t('inq.kind.' + r['kind'])} · {t('inq.status.' + r['status'])}"):
            st.write(r["text"] or "—")
            if r["phone"]:
                st.write(f"{t('col.phone')}: {r['phone']}")
            if r["reply"]:
                st.info(f"{r['reply']} ({r['replied_by']}, {r['replied_at']:%Y-%m-%d %H:%M})")
            if r["status"] == "closed":
                continue
            with st.form(f"reply_{r['ticket']}", clear_on_submit=True):
                text = st.text_area(t("staff.reply"), key=f"reply_text_{r['ticket']}")
                send, close = st.columns(2)
                sent = send.form_submit_button(t("staff.send"), type="primary")
                closed = close.form_submit_button(t("staff.close"))
            if sent or closed:
                with inquiries.writing(db_path()) as con:
                    if sent:
                        inquiries.reply(con, r["ticket"], text or "", user["name"])
                        _audit(con, user, "inquiry-reply", {"ticket": r["ticket"]})
                    if closed:
                        inquiries.close(con, r["ticket"])
                        _audit(con, user, "inquiry-close", {"ticket": r["ticket"]})
                st.session_state["staff_inq_msg"] = t("staff.closed" if closed else "staff.replied", ticket=r["ticket"])
                st.rerun()


language_switch()
st.title(t("staff.title"))
if st.session_state.get("staff_inq_msg"):
    st.success(st.session_state.pop("staff_inq_msg"))
with guarded():
    page()
