"""Working days between dates, using an editable calendar of official holidays and make-up working days."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from funds import settings
from funds.errors import FundsError


@dataclass(frozen=True)
class Calendar:
    """Holidays (weekdays off) and make-up working days (weekend days on), as numpy day arrays."""

    holidays: np.ndarray
    workdays: np.ndarray

    def working_days(self, start: np.ndarray, end: np.ndarray) -> np.ndarray:
        """Working days after `start` up to and including `end` (0 when paid the same day)."""
        start = start.astype("datetime64[D]") + np.timedelta64(1, "D")
        end = end.astype("datetime64[D]") + np.timedelta64(1, "D")
        base = np.busday_count(start, end, holidays=self.holidays)
        extra = np.searchsorted(self.workdays, end) - np.searchsorted(self.workdays, start)
        return np.maximum(base + extra, 0)


def _text(path: str) -> str:
    if path:
        try:
            return Path(path).read_text("utf-8-sig")
        except OSError as exc:
            raise FundsError(f"无法读取节假日文件 {path}：{exc}", f"Cannot read the holidays file {path}: {exc}",
                             f"공휴일 파일 {path}을(를) 읽을 수 없습니다: {exc}") from None
    return resources.files("funds").joinpath("data/holidays.csv").read_text("utf-8")


@lru_cache(maxsize=4)
def _load(path: str) -> Calendar:
    holidays: list[str] = []
    workdays: list[str] = []
    lines = [ln for ln in _text(path).splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for n, row in enumerate(csv.DictReader(lines), start=1):
        try:
            day = dt.date.fromisoformat((row.get("date") or "").strip()).isoformat()
        except ValueError:
            raise FundsError(f"节假日文件第 {n} 行日期无效：{row.get('date')}",
                             f"Holidays file line {n}: not a date: {row.get('date')}",
                             f"공휴일 파일 {n}행 날짜 오류: {row.get('date')}") from None
        kind = (row.get("kind") or "").strip()
        if kind == "holiday":
            holidays.append(day)
        elif kind == "workday":
            workdays.append(day)
        else:
            raise FundsError(f"节假日文件第 {n} 行类型应为 holiday 或 workday：{kind}",
                             f"Holidays file line {n}: kind must be holiday or workday, not {kind!r}",
                             f"공휴일 파일 {n}행 종류는 holiday 또는 workday여야 합니다: {kind}")
    return Calendar(np.array(sorted(holidays), dtype="datetime64[D]"),
                    np.array(sorted(workdays), dtype="datetime64[D]"))


def calendar() -> Calendar:
    """The calendar named by the holidays_file setting, else the bundled one (funds/data/holidays.csv)."""
    return _load(settings.get("holidays_file"))
