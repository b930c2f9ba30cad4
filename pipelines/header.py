"""Finding the header row below any title rows, mapping headers to canonical columns, and units."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from schemas.columns import KINDS, MONEY, Column, Kind

_UNIT_SUFFIX = re.compile(r"[(\[]?\s*(?:单位\s*[:：]?\s*)?(万元|元)\s*[)\]]?$")
_ANY_SUFFIX = re.compile(r"\s*\([^()]*\)$")
_TITLE_UNIT = re.compile(r"单位\s*[:：]?\s*(万元|元)")
WAN = Decimal(10000)
ONE = Decimal(1)


def fold(header: str) -> str:
    """A header for matching: NFKC (full-width → ASCII), lower case, no spaces, no * marks."""
    text = unicodedata.normalize("NFKC", str(header)).lower()
    return re.sub(r"[\s*＊]+", "", text).replace("_", "").replace("-", "")


def _alias_table(kind: Kind) -> dict[str, str]:
    table: dict[str, str] = {}
    for col in kind.columns:
        for alias in (col.name, *col.headers):
            table.setdefault(fold(alias), col.name)
    return table


_ALIASES = {name: _alias_table(kind) for name, kind in KINDS.items()}


def match(kind: Kind, header: str) -> tuple[str | None, Decimal | None]:
    """The canonical column a header names (or None) and the unit its suffix sets (or None)."""
    aliases = _ALIASES[kind.name]
    key = fold(header)
    if not key:
        return None, None
    if key in aliases:
        return aliases[key], None
    unit_match = _UNIT_SUFFIX.search(key)
    if unit_match and unit_match.start() > 0:
        stem = key[: unit_match.start()].rstrip("(/:：")
        unit = WAN if unit_match.group(1) == "万元" else ONE
        if stem in aliases:
            return aliases[stem], unit
    stem = _ANY_SUFFIX.sub("", key)
    if stem != key and stem in aliases:
        return aliases[stem], None
    return None, None


@dataclass
class Header:
    """Where the header is and what it maps to."""

    index: int  # 0-based row index in the file
    columns: dict[int, str]  # file column index → canonical name
    units: dict[str, Decimal] = field(default_factory=dict)  # canonical → yuan per unit of the sheet
    found: list[str] = field(default_factory=list)  # every non-empty header text, as written
    unknown: list[str] = field(default_factory=list)
    duplicates: dict[str, list[int]] = field(default_factory=dict)  # canonical → 1-based columns

    @property
    def row(self) -> int:
        """The header's spreadsheet row number."""
        return self.index + 1


def locate(kind: Kind, head: list[list[str]]) -> Header:
    """Pick the header row: the first row of the top rows that names the most known columns."""
    best_index, best_hits = 0, 0
    for index, row in enumerate(head):
        hits = len({c for c in (match(kind, cell)[0] for cell in row) if c})
        if hits > best_hits:
            best_index, best_hits = index, hits
    if best_hits == 0:  # nothing recognised: report the first non-empty row as "the headers found"
        best_index = next((i for i, r in enumerate(head) if any(str(c).strip() for c in r)), 0)
    row = head[best_index] if head else []
    header = Header(index=best_index, columns={})
    title_unit = _title_unit(head[:best_index])
    seen: dict[str, list[int]] = {}
    for idx, cell in enumerate(row):
        text = str(cell).strip()
        if not text:
            continue
        header.found.append(text)
        canonical, unit = match(kind, text)
        if canonical is None:
            header.unknown.append(text)
            continue
        seen.setdefault(canonical, []).append(idx + 1)
        if canonical in header.columns.values():
            continue
        header.columns[idx] = canonical
        if unit is not None:
            header.units[canonical] = unit
    header.duplicates = {c: cols for c, cols in seen.items() if len(cols) > 1}
    for col in kind.columns:
        if col.type == MONEY and col.name not in header.units and title_unit is not None:
            header.units[col.name] = title_unit
    return header


def _title_unit(rows: list[list[str]]) -> Decimal | None:
    for row in rows:
        for cell in row:
            m = _TITLE_UNIT.search(unicodedata.normalize("NFKC", str(cell)).replace(" ", ""))
            if m:
                return WAN if m.group(1) == "万元" else ONE
    return None


def missing(kind: Kind, header: Header) -> list[Column]:
    """The required columns `header` lacks; for a kind that names its fund by code or by name, the code
    first when neither is there."""
    present = set(header.columns.values())
    out = [c for c in kind.columns if c.required and c.name not in present]
    if kind.either and not present.intersection(kind.either):
        out.insert(0, kind.column(kind.either[0]))
    return out


def fits(head: list[list[str]], kind_name: str | None) -> bool:
    """Whether these first rows hold the header of `kind_name` (every required column), or when it is None
    of some kind (`guess_kind`): how the sheet to read is told from the others of a workbook."""
    if kind_name is None:
        return guess_kind(head) is not None
    kind = KINDS[kind_name]
    return not missing(kind, locate(kind, head))


def guess_kind(head: list[list[str]]) -> str | None:
    """The sheet kind whose required headers the file matches best (to say "this looks like budgets")."""
    scores = {}
    for name, kind in KINDS.items():
        required = {c.name for c in kind.columns if c.required}
        best = 0
        for row in head:
            hits = {match(kind, cell)[0] for cell in row} & required
            best = max(best, len(hits))
        scores[name] = best / max(len(required), 1)
    name, score = max(scores.items(), key=lambda kv: kv[1])
    return name if score >= 0.75 else None
