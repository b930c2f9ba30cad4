"""Money as exact decimal yuan with 2 places (fen); never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
WAN = Decimal(10000)


def yuan(value: Decimal | int | str | None) -> Decimal:
    """A value as Decimal yuan with exactly 2 places (None → 0.00)."""
    if value is None:
        return Decimal("0.00")
    if isinstance(value, float):  # a float has already lost the fen: refuse it loudly
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def to_str(value: Decimal | int | str | None) -> str:
    """The JSON form of an amount: a string with 2 decimals, e.g. "1234.50"."""
    return f"{yuan(value):.2f}"


def grouped(value: Decimal | int | str | None) -> str:
    """An amount for people to read: thousands separators and 2 decimals (1,234.50)."""
    return f"{yuan(value):,.2f}"


def to_wan(value: Decimal | int | str | None) -> str:
    """Yuan shown in 万元 with 2 decimals, as county reports print totals."""
    return f"{(yuan(value) / WAN).quantize(FEN, rounding=ROUND_HALF_UP):,.2f}"
