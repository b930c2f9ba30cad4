"""funds: a fund disclosure and beneficiary lookup database (core layer: no UI imports)."""

__version__ = "0.1.0"
