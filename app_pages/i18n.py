"""UI strings in zh/en/ko and the language switch shown on every screen.

Each area keeps its own table (strings_*.py) and registers it here, so pages stay short.
"""

from __future__ import annotations

import streamlit as st

LANGS = {"zh": "中文", "ko": "한국어", "en": "English"}
_STRINGS: dict[str, dict[str, str]] = {}


def register(table: dict[str, dict[str, str]]) -> None:
    """Add an area's strings ({key: {"zh": ..., "en": ..., "ko": ...}})."""
    _STRINGS.update(table)


def lang() -> str:
    """The current language of this browser session (Chinese by default)."""
    return st.session_state.get("lang", "zh")


def t(key: str, **params: object) -> str:
    """The string for `key` in the current language, with {placeholders} filled."""
    entry = _STRINGS.get(key)
    if entry is None:
        return key
    text = entry.get(lang()) or entry["zh"]
    return text.format(**params) if params else text


def language_switch() -> None:
    """Buttons 中文 / 한국어 / English; the choice lives in the session, never in the URL."""
    cols = st.columns(len(LANGS))
    for col, (code, label) in zip(cols, LANGS.items(), strict=True):
        if col.button(label, key=f"lang_{code}", type="primary" if lang() == code else "secondary",
                      use_container_width=True):
            st.session_state["lang"] = code
            st.rerun()


register({
    "app.title": {"zh": "财政专项资金公开查询", "en": "Public Fund Disclosure", "ko": "재정 특별자금 공개 조회"},
})
