"""A kiosk session's state: what is on screen, the idle timer, and the throttle on failed lookups."""

from __future__ import annotations

import math
import time

import streamlit as st

from app_pages.i18n import t
from funds import settings

ss = st.session_state
_SCREEN = ("kiosk_result", "kiosk_link", "kiosk_msg", "kiosk_ticket_filed", "kiosk_ticket_view", "kiosk_mode")


def idle_seconds() -> int:
    """Seconds without use after which the screen clears (FUNDS_KIOSK_IDLE_SECONDS)."""
    return max(1, settings.get_int("kiosk_idle_seconds"))


def mode() -> str:
    """lookup | inquiry | ticket."""
    return ss.get("kiosk_mode", "lookup")


def has_personal() -> bool:
    """True while the screen shows anything a next visitor should not see."""
    return any(ss.get(k) for k in _SCREEN if k != "kiosk_mode") or mode() != "lookup"


def clear_result() -> None:
    """Forget the last lookup (its result, its link for an inquiry, its message)."""
    for k in ("kiosk_result", "kiosk_link", "kiosk_msg"):
        ss.pop(k, None)


def clear_all(keep_lang: bool = False) -> None:
    """Back to the empty landing screen; the failure count stays (finish must not reset the throttle)."""
    for k in _SCREEN:
        ss.pop(k, None)
    if not keep_lang:
        ss.pop("lang", None)


def expire_if_idle() -> None:
    """Clear the screen when this run comes after the idle time (e.g. a click on a stale screen)."""
    last = ss.get("kiosk_last")
    if last is not None and time.time() - last > idle_seconds() and has_personal():
        clear_all()


def idle_watch() -> None:
    """A small timer in the page that clears the screen once the idle time has passed."""
    tick = max(1, min(5, idle_seconds() // 4))

    @st.fragment(run_every=tick)
    def _watch() -> None:
        last = ss.get("kiosk_last", time.time())
        if has_personal() and time.time() - last > idle_seconds():
            clear_all()
            st.rerun(scope="app")

    _watch()


def fail() -> None:
    """Count a failed lookup; at the limit, the session must wait."""
    ss["kiosk_fails"] = ss.get("kiosk_fails", 0) + 1
    if ss["kiosk_fails"] >= settings.get_int("lookup_fail_limit"):
        ss["kiosk_fails"] = 0
        ss["kiosk_locked_until"] = time.time() + settings.get_int("lookup_fail_wait")


def remaining() -> int:
    """Whole seconds this session must still wait (0 when it may look up)."""
    return max(0, math.ceil(ss.get("kiosk_locked_until", 0) - time.time()))


def locked() -> bool:
    """True while the session waits after too many failures."""
    return remaining() > 0


def countdown() -> None:
    """The wait message, counting down each second; the form comes back when it reaches 0."""
    @st.fragment(run_every=1)
    def _count() -> None:
        left = remaining()
        if left <= 0:
            st.rerun(scope="app")
        st.warning(t("kiosk.wait", seconds=left))

    _count()
