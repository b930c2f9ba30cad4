"""Declared settings: one table of (name, default, help), each overridable by FUNDS_<NAME>."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    """One named setting with its default and a line of help."""

    name: str
    default: str
    help: str

    @property
    def env(self) -> str:
        """The environment variable that overrides this setting."""
        return "FUNDS_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("db", "data/funds.duckdb", "Path of the DuckDB database file."),
    Setting("secret_file", "", "Path of the HMAC key file (default: the database path + '.secret')."),
    Setting("lang", "zh", "Default language of messages: zh, en or ko."),
    Setting("max_errors", "1000", "Most problems listed for one upload (the count is always exact)."),
    Setting("lag_buckets", "0-3,4-10,11+", "Lag buckets in days, comma separated; the last is open ended."),
    Setting("kiosk_idle_seconds", "60", "Seconds of inactivity after which a kiosk result is cleared."),
    Setting("kiosk_warm_mb", "auto",
            "Memory (MB) the app may fill with the columns kiosk lookups read, read in as it opens each published "
            "snapshot (~47 MB per million payment rows) so no lookup waits for the disk; auto: a quarter of the "
            "machine's memory; 0: never (lookups read them from the file). With 256 MB more, it bounds the DuckDB "
            "instance lookups read on."),
    Setting("lookup_fail_limit", "5", "Failed kiosk lookups allowed before a pause is imposed."),
    Setting("lookup_fail_wait", "30", "Seconds a kiosk session must wait after too many failed lookups."),
    Setting("upload_max_mb", "200", "Largest upload accepted, in megabytes."),
    Setting("ingest_nice", "10",
            "CPU priority `funds ingest` gives up (a Unix nice step) so lookups stay quick while it loads; 0 keeps full priority."),
    Setting("ingest_memory_mb", "1024",
            "Memory DuckDB may use while an upload is checked and loaded; beyond it, work spills to disk beside the database."),
    Setting("optimize_hint_row_groups", "8",
            "After a load, advise `funds optimize` once a kiosk lookup reads this many row groups (one per big batch)."),
    Setting("session_minutes", "30", "Minutes after which an idle staff login expires."),
    Setting("login_fail_limit", "5", "Failed staff logins in a row after which the account is locked."),
    Setting("login_lockout_minutes", "15", "Minutes a staff account stays locked after too many failed logins."),
    Setting("sql_timeout", "5", "Seconds an auditor's SQL query may run."),
    Setting("sql_max_rows", "10000", "Rows an auditor's SQL query may return before it is truncated."),
    Setting("holidays_file", "", "CSV of official holidays and make-up working days (default: the bundled calendar)."),
    Setting("lead_outlier_factor", "5", "An amount above this many times its fund-year (or village) median is a lead."),
    Setting("lead_min_rows", "5", "Payments a fund needs in a year before its median says what is usual."),
    Setting("lead_village_min_rows", "10", "Payments a village needs in a fund-year before its own median is used."),
    Setting("lead_year_end_grace_days", "0", "Days after 31 December a year's payment may be made before it is a lead."),
    Setting("log_file", "", "Where the application log is written (default: beside the database, funds.log)."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str:
    """Return a setting's value: the FUNDS_<NAME> environment variable, else its default."""
    setting = _BY_NAME[name]
    return os.environ.get(setting.env, setting.default)


def get_int(name: str) -> int:
    """Return a whole-number setting."""
    return int(get(name))


def db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The database path: an explicit --db value wins over FUNDS_DB and the default."""
    return Path(explicit) if explicit else Path(get("db"))


def secret_path(db: Path) -> Path:
    """Where the HMAC key for a database lives: outside the database file, beside it by default."""
    configured = get("secret_file")
    return Path(configured) if configured else db.with_name(db.name + ".secret")


def log_path(db: Path) -> Path:
    """Where the application log for a database is written."""
    configured = get("log_file")
    return Path(configured) if configured else db.with_name("funds.log")


def markdown_table() -> str:
    """The README's settings table, generated from SETTINGS (a test keeps the README in step)."""
    lines = ["| setting | environment variable | default | what it does |", "|---|---|---|---|"]
    for s in SETTINGS:
        lines.append(f"| `{s.name}` | `{s.env}` | `{s.default}` | {s.help} |")
    return "\n".join(lines)
