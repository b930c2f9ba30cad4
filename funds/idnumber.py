"""Resident ID numbers (GB 11643-1999): normalising, check digits and 15→18 conversion.

The pipelines do the same work in SQL for whole columns (pipelines/sql/macros.sql); this
module is the reference implementation, used for single IDs typed at a kiosk or the CLI,
by the demo generator, and by the property tests that keep the two in step.
"""

from __future__ import annotations

import re
import unicodedata

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_MANGLED = re.compile(r"[0-9]+(\.[0-9]*)?(E\+?[0-9]+)?")


def check_char(first17: str) -> str:
    """The check character for the first 17 digits of an ID."""
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def clean(raw: str) -> str:
    """Trim spaces, fold full-width characters to ASCII and upper-case an x."""
    return unicodedata.normalize("NFKC", raw).strip().replace(" ", "").upper().lstrip("'`")


def problem(raw: str) -> str | None:
    """The problem code of an ID as typed, or None when it is valid."""
    s = clean(raw)
    if _MANGLED.fullmatch(s) and ("." in s or "E" in s):
        return "excel-mangled-id"
    if len(s) == 15 and s.isdigit():
        return None
    if len(s) != 18 or not s[:17].isascii() or not s[:17].isdigit() or s[17] not in "0123456789X":
        return "bad-id-format"
    if check_char(s[:17]) != s[17]:
        return "excel-mangled-id" if s.endswith("000") else "bad-id-checksum"
    return None


def normalise(raw: str) -> str:
    """The canonical 18-character form of a valid ID (ValueError when it is not valid)."""
    code = problem(raw)
    if code:
        raise ValueError(code)
    s = clean(raw)
    if len(s) == 15:
        body = s[:6] + "19" + s[6:]
        return body + check_char(body)
    return s


def is_valid(raw: str) -> bool:
    """True when the ID, as typed, is a valid 18- or 15-character ID."""
    return problem(raw) is None
