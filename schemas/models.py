"""One pandera DataFrameModel per sheet kind, over the normalised frame.

The pipeline parses text into typed columns first (money in integer fen, dates, years);
these models then declare what a valid row is. Every custom check's `error` starts with
the catalogue code (``"bad-year: ..."``) so the report can file each failure under its code.
The frame's index is the spreadsheet row number, so failures point at rows a clerk sees.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

Text = Series[pd.StringDtype]
OptText = Series[pd.StringDtype]
Fen = Series[pd.Int64Dtype]  # yuan x 100, exact
Whole = Series[pd.Int64Dtype]
Day = Series[pd.Timestamp]

MAX_NAME = 40


def _f(description: str, nullable: bool = False) -> object:
    return pa.Field(nullable=nullable, description=description)


def _between(s: pd.Series, lo: int, hi: int) -> pd.Series:
    return s.isna() | s.between(lo, hi)


class _Model(pa.DataFrameModel):
    """Settings shared by every sheet model."""

    class Config:
        strict = False
        coerce = False


class _Dated(_Model):
    """Rows with an approval date and an optional payment date."""

    approved_date: Day = _f("Date the payment or transfer was approved.")
    paid_date: Day = _f("Date the money was paid; blank = not yet paid.", nullable=True)

    @pa.dataframe_check(error="paid-before-approved: paid date must not be before the approved date")
    def paid_after_approval(cls, df: pd.DataFrame) -> pd.Series:
        return df["paid_date"].isna() | df["approved_date"].isna() | (df["paid_date"] >= df["approved_date"])


class _FundRef(_Dated):
    """Rows that name a fund by code or by name."""

    fund_code: OptText = _f("Fund code from the catalogue.", nullable=True)
    fund_name: OptText = _f("Fund name; must match the catalogue exactly once when no code is given.", nullable=True)
    year: Whole = _f("Budget year, 2000..2100.")
    amount: Fen = _f("Amount in fen (yuan x 100), > 0.")

    @pa.check("year", error="bad-year: year must be 2000..2100")
    def year_range(cls, s: pd.Series) -> pd.Series:
        return _between(s, 2000, 2100)

    @pa.check("amount", error="non-positive-amount: amount must be greater than 0")
    def amount_positive(cls, s: pd.Series) -> pd.Series:
        return s.isna() | (s > 0)

    @pa.dataframe_check(error="missing-value: give the fund code or the fund name")
    def fund_named(cls, df: pd.DataFrame) -> pd.Series:
        return df["fund_code"].notna() | df["fund_name"].notna()


class FundsModel(_Model):
    """资金目录: one row per special fund per year."""

    fund_code: Text = _f("Fund code, unique within a year.")
    fund_name: Text = _f("Fund name.")
    year: Whole = _f("Budget year, 2000..2100.")
    category: Text = _f("household (到户) or project (到项目).")
    department: Text = _f("Department in charge.")
    policy_basis: OptText = _f("Policy document the fund rests on.", nullable=True)
    deadline_days: Whole = _f("Whole days allowed from approval to payment.", nullable=True)

    @pa.check("year", error="bad-year: year must be 2000..2100")
    def year_range(cls, s: pd.Series) -> pd.Series:
        return _between(s, 2000, 2100)

    @pa.check("deadline_days", error="negative-number: deadline days cannot be negative")
    def deadline_positive(cls, s: pd.Series) -> pd.Series:
        return s.isna() | (s >= 0)


class PaymentsModel(_FundRef):
    """补贴发放明细: one payment to one person or household. PII: name, id_number, account_no."""

    township: Text = _f("Township (乡镇).")
    village: Text = _f("Village (村).")
    name: Text = _f("PII. Payee's name, 1..40 characters.")
    id_number: Text = _f("PII. Resident ID (normalised to 18); hashed and masked before storage.")
    household_no: OptText = _f("Household number.", nullable=True)
    quantity: Whole = _f("Quantity in 1/10000 units (area in mu, persons), >= 0.", nullable=True)
    rate: Whole = _f("Rate in 1/10000 yuan per unit, >= 0.", nullable=True)

    @pa.check("name", error="text-too-long: a name has at most 40 characters")
    def name_length(cls, s: pd.Series) -> pd.Series:
        return s.isna() | (s.str.len() <= MAX_NAME)

    @pa.check("quantity", "rate", error="negative-number: quantity and rate cannot be negative")
    def not_negative(cls, s: pd.Series) -> pd.Series:
        return s.isna() | (s >= 0)


class AllocationsModel(_FundRef):
    """资金拨付: a transfer out of the finance bureau."""

    recipient: Text = _f("Receiving unit.")
    document_no: OptText = _f("Approval document number.", nullable=True)
    township: OptText = _f("Township.", nullable=True)


class ProjectsModel(_FundRef):
    """项目资金: project-level funds."""

    project_code: Text = _f("Project code, unique within a fund and year.")
    project_name: Text = _f("Project name.")
    township: OptText = _f("Township.", nullable=True)
    village: OptText = _f("Village.", nullable=True)
    implementer: OptText = _f("Implementing unit.", nullable=True)
    paid_amount: Fen = _f("Amount paid so far in fen, 0..amount.", nullable=True)
    status: OptText = _f("Progress.", nullable=True)

    @pa.check("paid_amount", error="negative-number: paid amount cannot be negative")
    def paid_not_negative(cls, s: pd.Series) -> pd.Series:
        return s.isna() | (s >= 0)

    @pa.dataframe_check(error="paid-exceeds-amount: paid amount cannot exceed the project amount")
    def paid_within_amount(cls, df: pd.DataFrame) -> pd.Series:
        return df["paid_amount"].isna() | df["amount"].isna() | (df["paid_amount"] <= df["amount"])


class BudgetsModel(_Model):
    """部门预算: department budgets and final accounts."""

    year: Whole = _f("Budget year, 2000..2100.")
    department_code: OptText = _f("Department code.", nullable=True)
    department: Text = _f("Department (budget unit).")
    category: Text = _f("Spending category, e.g. 基本支出, 项目支出, 三公经费.")
    item: Text = _f("Budget line.")
    budget: Fen = _f("Budget in fen, >= 0.")
    actual: Fen = _f("Final account in fen, >= 0.", nullable=True)

    @pa.check("year", error="bad-year: year must be 2000..2100")
    def year_range(cls, s: pd.Series) -> pd.Series:
        return _between(s, 2000, 2100)

    @pa.check("budget", "actual", error="negative-number: budget figures cannot be negative")
    def not_negative(cls, s: pd.Series) -> pd.Series:
        return s.isna() | (s >= 0)


class PeopleFlagsModel(_Model):
    """人员标记: people whose payments need a second look. PII: id_number, name."""

    id_number: Text = _f("PII. Resident ID; hashed and masked before storage.")
    name: OptText = _f("PII. Name.", nullable=True)
    flag: Text = _f("deceased (死亡) or official (公职人员).")
    date: Day = _f("Date of death, or start of office.")


MODELS: dict[str, type[_Model]] = {
    "funds": FundsModel,
    "payments": PaymentsModel,
    "allocations": AllocationsModel,
    "projects": ProjectsModel,
    "budgets": BudgetsModel,
    "people_flags": PeopleFlagsModel,
}

# where a dataframe-wide check's failure is reported (pandera lists every column)
CHECK_COLUMN = {
    "paid-before-approved": "paid_date",
    "paid-exceeds-amount": "paid_amount",
    "missing-value": "fund_code",
}
