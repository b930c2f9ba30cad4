"""Public: how inquiries are answered, per township (reply rate, median time to reply)."""

from __future__ import annotations

import streamlit as st

from app_pages.i18n import language_switch, t
from app_pages.public_common import db_path, downloads, guarded, style
from funds import inquiries


def page() -> None:
    """Render the page."""
    with inquiries.reading(db_path()) as con:
        rows = inquiries.stats(con)
    if not rows:
        st.info(t("pub.no_inquiries"))
        return
    unknown = t("inq.unknown_place")
    shown = [{"township": r["township"] or unknown, "filed": r["filed"], "reply_rate": f"{r['reply_rate'] * 100:.0f}%",
              "median_hours": "—" if r["median_hours"] is None else f"{r['median_hours']:.1f}"} for r in rows]
    cols = [("township", t("col.township")), ("filed", t("col.filed")), ("reply_rate", t("col.reply_rate")),
            ("median_hours", t("col.median_hours"))]
    st.table([{h: r[k] for k, h in cols} for r in shown], hide_index=True)
    downloads(shown, cols, "inquiry_replies", "dl_inq")


style()
language_switch()
st.title(t("pub.inquiry_stats"))
with guarded():
    page()
