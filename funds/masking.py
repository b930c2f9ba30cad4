"""Masked forms of personal data for anything public: names, ID numbers, account numbers."""

from __future__ import annotations


def mask_name(name: str | None) -> str:
    """First character, then one * per remaining character (张三丰 → 张**)."""
    if not name:
        return ""
    name = name.strip()
    return name[:1] + "*" * (len(name) - 1)


def mask_id(id18: str) -> str:
    """First 6 + ******** + last 4 (the form printed on public notices)."""
    return id18[:6] + "********" + id18[-4:]


def mask_account(account: str) -> str:
    """Only the last 4 digits of an account number are kept."""
    digits = account.strip()
    return "*" * max(len(digits) - 4, 0) + digits[-4:]
