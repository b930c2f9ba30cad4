"""The README's settings table is the declared settings table; the error catalogue is complete."""

from __future__ import annotations

import re
from pathlib import Path

from funds import codes, settings

ROOT = Path(__file__).resolve().parent.parent


def test_readme_settings_table_matches_settings() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert settings.markdown_table() in readme, "regenerate with: python -c 'from funds import settings; print(settings.markdown_table())'"


def test_every_code_has_three_languages_and_says_what_to_do() -> None:
    for code in codes.CATALOGUE.values():
        for lang in codes.LANGS:
            text = code.message(lang, row=3, column="c", value="v", expected="e", found="f")
            assert text and "{" not in text, (code.code, lang)


def test_every_code_raised_in_pipelines_is_declared() -> None:
    used = set()
    for path in (ROOT / "pipelines").rglob("*.py"):
        used |= set(re.findall(r'Issue\("([a-z-]+)"', path.read_text("utf-8")))
    for path in (ROOT / "pipelines").rglob("*.sql"):
        used |= set(re.findall(r"'([a-z]+(?:-[a-z]+)+)'", path.read_text("utf-8")))
    assert used - set(codes.CATALOGUE) == set()
