"""Masking long digit runs (ID, account numbers) in free text such as log records and file names.

Values quoted by error messages (a DuckDB conversion error names the cell) must not carry
a raw ID into the log, so every log record is passed through `redact` before it is formatted.
"""

from __future__ import annotations

import logging
import re
import traceback
from typing import Any

# 15-19 digits (ID numbers, 15-digit legacy IDs, bank cards), an ID's final X, full-width digits too
_LONG_NUMBER = re.compile(r"(?<![0-9０-９])([0-9０-９]{6})[0-9０-９]{5,9}([0-9０-９]{3}[0-9０-９Xx])(?![0-9０-９])")

# the same for DuckDB's RE2 (no look-around: a longer digit run is masked in pieces, never left raw)
SQL_PATTERN = r"([0-9０-９]{6})[0-9０-９]{5,9}([0-9０-９]{3}[0-9０-９Xx])"


def redact(text: str) -> str:
    """Replace each ID- or account-like number by its masked form (first 6, ********, last 4)."""
    return _LONG_NUMBER.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)


_installed = False


def install() -> None:
    """Make every log record of this process redacted (message, arguments and exception text)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            record.msg = redact(record.getMessage())
            record.args = None
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        except Exception:  # a record that cannot be formatted is left for logging to report
            pass
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
