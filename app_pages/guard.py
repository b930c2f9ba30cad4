"""One handler for page errors: a FundsError's message in the user's language, anything else a plain apology.

No traceback ever reaches a user; the log keeps the details (with ID-like numbers masked).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from app_pages import strings_public  # noqa: F401  (registers err.generic)
from app_pages.i18n import lang, t
from funds.errors import FundsError

log = logging.getLogger("funds.app")


@contextmanager
def guarded(stop: bool = False) -> Iterator[None]:
    """Run a block of a page; on a problem show a message and, with stop=True, end the page there."""
    try:
        yield
        return
    except FundsError as exc:
        st.error(exc.message(lang()))
    except Exception:  # noqa: BLE001 - the user sees an apology, the log keeps the details
        log.exception("page failed")
        st.error(t("err.generic"))
    if stop:
        st.stop()
