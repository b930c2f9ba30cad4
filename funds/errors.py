"""Domain exceptions: each carries a message written for users, in zh/en/ko."""

from __future__ import annotations


class FundsError(Exception):
    """A problem the user can act on; `message(lang)` says what happened and how to fix it."""

    exit_code = 1

    def __init__(self, zh: str, en: str, ko: str | None = None) -> None:
        super().__init__(en)
        self.texts = {"zh": zh, "en": en, "ko": ko or en}

    def message(self, lang: str = "zh") -> str:
        """The message in one language (zh when the language is unknown)."""
        return self.texts.get(lang, self.texts["zh"])


class UsageError(FundsError):
    """The command was called wrongly (exit code 2)."""

    exit_code = 2


class NotInitialised(FundsError):
    """The database or its key is missing."""


class AccessDenied(FundsError):
    """A login, a role or a guard refused the action."""
