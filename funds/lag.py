"""Disbursement lag and unpaid ageing: days from approval to payment (or to an as-of date), bucketed and grouped."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import duckdb

from funds import buckets, db, workdays
from funds.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

KINDS = ("payments", "allocations", "projects")
GROUP_BY = {"fund": "fund_code", "department": "department", "township": "township", "village": "village",
            "month": "month"}
NONE_KEY = "(none)"


def _check(kind: str, by: str) -> None:
    if kind not in KINDS:
        raise UsageError(f"类型应为 {', '.join(KINDS)} 之一：{kind}", f"kind must be one of {', '.join(KINDS)}: {kind}",
                         f"종류는 {', '.join(KINDS)} 중 하나여야 합니다: {kind}")
    if by not in GROUP_BY:
        raise UsageError(f"分组应为 {', '.join(GROUP_BY)} 之一：{by}", f"--by must be one of {', '.join(GROUP_BY)}: {by}",
                         f"그룹은 {', '.join(GROUP_BY)} 중 하나여야 합니다: {by}")


def items(con: duckdb.DuckDBPyConnection, kind: str, year: int | None = None, as_of: dt.date | None = None,
          working_days: bool = False) -> pd.DataFrame:
    """One row per item with `lag_days` (paid) or `age_days` (unpaid, against as_of) and a `breach` flag."""
    import numpy as np  # here, not at the top: every CLI command imports this module for its choices
    import pandas as pd

    _check(kind, "fund")
    as_of = as_of or dt.date.today()
    rows = db.fetch_dicts(con, "list_lag_items", {"kind": kind, "year": year})
    frame = pd.DataFrame.from_records(rows, columns=[
        "kind", "batch_id", "row_no", "year", "fund_code", "fund_name", "department", "township", "village", "month",
        "label", "amount", "approved_date", "paid_date", "deadline_days"])
    approved = pd.to_datetime(frame["approved_date"]).to_numpy("datetime64[D]")
    paid_dates = pd.to_datetime(frame["paid_date"])
    paid = paid_dates.notna().to_numpy()
    end = np.where(paid, paid_dates.to_numpy("datetime64[D]"), np.datetime64(as_of, "D"))
    if working_days:
        days = workdays.calendar().working_days(approved, end)
    else:
        days = (end - approved).astype("timedelta64[D]").astype(np.int64)
    days = np.maximum(days, 0)
    frame["paid"] = paid
    frame["lag_days"] = pd.Series(days, dtype="Int64").where(paid)
    frame["age_days"] = pd.Series(days, dtype="Int64").where(~paid)
    deadline = pd.to_numeric(frame["deadline_days"], errors="coerce")
    frame["breach"] = paid & deadline.notna().to_numpy() & (days > deadline.fillna(0).to_numpy())
    frame["overdue"] = ~paid & deadline.notna().to_numpy() & (days > deadline.fillna(0).to_numpy())
    return frame


def _bucketed(days: pd.Series, spec: list[buckets.Bucket]) -> dict[str, int]:
    counts = days.dropna().astype(int).value_counts()
    return buckets.count(((int(d), int(n)) for d, n in counts.items()), spec)


def summary(con: duckdb.DuckDBPyConnection, kind: str, by: str = "fund", year: int | None = None,
            as_of: dt.date | None = None, working_days: bool = False) -> dict[str, Any]:
    """The `funds lag --json` shape: per group, paid lags and unpaid ages in buckets, and deadline breaches."""
    _check(kind, by)
    as_of = as_of or dt.date.today()
    spec = buckets.parse()
    frame = items(con, kind, year, as_of, working_days)
    key = frame[GROUP_BY[by]].fillna(NONE_KEY).astype(str)
    groups = []
    for k, part in frame.groupby(key, sort=True):
        groups.append({
            "key": k,
            "paid": _bucketed(part["lag_days"], spec),
            "unpaid": _bucketed(part["age_days"], spec),
            "breaches": int(part["breach"].sum()),
            "overdue_unpaid": int(part["overdue"].sum()),
            "items": len(part),
        })
    return {"kind": kind, "by": by, "year": year, "as_of": as_of.isoformat(), "working_days": working_days,
            "buckets": [b.label for b in spec], "groups": groups}


def slowest(frame: pd.DataFrame, n: int = 20, unpaid: bool = False) -> pd.DataFrame:
    """The n slowest paid items (or the n oldest unpaid ones)."""
    col = "age_days" if unpaid else "lag_days"
    part = frame[~frame["paid"]] if unpaid else frame[frame["paid"]]
    cols = ["fund_code", "fund_name", "township", "village", "label", "amount", "approved_date", "paid_date",
            "deadline_days", col, "batch_id", "row_no"]
    return part.sort_values(col, ascending=False, kind="stable").head(n)[cols].reset_index(drop=True)
