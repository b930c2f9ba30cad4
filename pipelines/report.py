"""Validation reports are data: every problem of an upload with its code, row, column and message."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from funds import codes, settings
from schemas.columns import ID, KINDS


@dataclass(frozen=True)
class Issue:
    """One problem: a catalogue code, the spreadsheet row (or None), the canonical column (or None)."""

    code: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    params: tuple[tuple[str, str], ...] = ()

    @property
    def severity(self) -> str:
        """error (blocks the load) or warning."""
        return codes.lookup(self.code).severity

    def message(self, lang: str, kind: str | None = None) -> str:
        """The message for a user in their language, with the column's own label."""
        label = self.column or ""
        if kind and self.column and self.column in KINDS[kind].names:
            label = KINDS[kind].column(self.column).label(lang)
        return codes.message(self.code, lang, row=self.row or "", column=label, value=self.value or "",
                             **dict(self.params))

    def as_dict(self, lang: str = "zh", kind: str | None = None) -> dict[str, Any]:
        """The JSON form: row, column, value, code, message (+ messages in every language)."""
        return {
            "row": self.row, "column": self.column, "value": self.value, "code": self.code,
            "message": self.message(lang, kind),
            "messages": {lg: self.message(lg, kind) for lg in codes.LANGS},
        }


def safe_value(column: str | None, kind: str | None, value: Any) -> str | None:
    """A cell value fit to show back: ID numbers are masked, long text is cut."""
    if value is None:
        return None
    text = str(value)
    if kind and column and column in KINDS[kind].names and KINDS[kind].column(column).type == ID:
        compact = text.replace(" ", "")
        if len(compact) >= 10 and "E" not in compact.upper():
            return compact[:6] + "*" * (len(compact) - 10) + compact[-4:]
    return text if len(text) <= 100 else text[:97] + "..."


@dataclass
class Report:
    """The outcome of checking one upload."""

    kind: str
    path: str
    sha256: str | None = None
    issues: list[Issue] = field(default_factory=list)
    rows: int = 0
    seconds: float = 0.0
    encoding: str | None = None
    header_row: int | None = None
    error_count: int = 0
    warning_count: int = 0

    def add(self, issue: Issue) -> None:
        """Record an issue; counts stay exact while the list is capped."""
        if issue.severity == "error":
            self.error_count += 1
        else:
            self.warning_count += 1
        if len(self.issues) < settings.get_int("max_errors"):
            self.issues.append(issue)

    def extend(self, other: Report) -> None:
        """Add the issues of another report of the same upload, after this one's; counts stay exact."""
        for issue in other.issues:
            self.add(issue)
        listed_errors = sum(1 for i in other.issues if i.severity == "error")
        self.error_count += other.error_count - listed_errors  # those the other report counted but did not list
        self.warning_count += other.warning_count - (len(other.issues) - listed_errors)

    @property
    def valid(self) -> bool:
        """True when nothing blocks the load."""
        return self.error_count == 0

    @property
    def errors(self) -> list[Issue]:
        """The listed errors, ordered by row."""
        return sorted((i for i in self.issues if i.severity == "error"), key=_order)

    @property
    def warnings(self) -> list[Issue]:
        """The listed warnings, ordered by row."""
        return sorted((i for i in self.issues if i.severity == "warning"), key=_order)

    def flatten(self) -> list[list[Any]]:
        """[row, column, code] triples of the errors, for tests and quick comparisons."""
        return [[i.row, i.column, i.code] for i in self.errors]

    def stats(self) -> dict[str, Any]:
        """Counts and timings."""
        return {"rows": self.rows, "errors": self.error_count, "warnings": self.warning_count,
                "seconds": round(self.seconds, 3), "sha256": self.sha256}


def _order(issue: Issue) -> tuple[int, str, str]:
    return (issue.row or 0, issue.column or "", issue.code)
