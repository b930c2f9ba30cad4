"""A small county with known lags, unpaid items, reconciliation gaps and one planted case of every lead code."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from funds.idnumber import check_char


def make_id(n: int) -> str:
    """A valid 18-character ID, distinct for each n."""
    body = f"420101196{n % 10}0101{n:03d}"[:17]
    return body + check_char(body)


P = {k: make_id(i) for i, k in enumerate(
    ["fast", "medium", "slow", "unpaid", "holiday", "dup", "twonames", "twovillages", "outlier", "dead", "official",
     "late"], start=1)}
CLEAN = [make_id(100 + i) for i in range(20)]
MONTHLY = [make_id(200 + i) for i in range(3)]

FUNDS = """fund_code,fund_name,year,category,department,deadline_days
F1,耕地补贴,2020,household,农业局,10
F2,低保,2020,household,民政局,5
F3,道路,2020,project,交通局,30
"""

# (id, name, village, fund, amount, approved, paid)
PLANTED_PAYMENTS = [
    (P["fast"], "甲一", "甲村", "F1", "110.00", "2020-03-02", "2020-03-04"),          # 2 days: 0-3
    (P["medium"], "甲二", "甲村", "F1", "111.00", "2020-03-02", "2020-03-09"),        # 7 days: 4-10
    (P["slow"], "甲三", "甲村", "F1", "112.00", "2020-03-02", "2020-03-20"),          # 18 days: 11+, breach (10)
    (P["unpaid"], "甲四", "甲村", "F1", "113.00", "2020-03-02", ""),                  # unpaid: 8 days at 2020-03-10
    (P["holiday"], "甲五", "甲村", "F1", "114.00", "2020-09-30", "2020-10-09"),       # 9 calendar, 1 working day
    (P["dup"], "甲六", "甲村", "F1", "115.00", "2020-04-01", "2020-04-02"),
    (P["dup"], "甲六", "甲村", "F1", "116.00", "2020-06-01", "2020-06-02"),           # duplicate-payment
    (P["twonames"], "王五", "甲村", "F1", "117.00", "2020-04-01", "2020-04-02"),
    (P["twonames"], "王六", "甲村", "F2", "500.00", "2020-04-01", "2020-04-02"),      # id-name-conflict
    (P["twovillages"], "李七", "甲村", "F1", "118.00", "2020-04-01", "2020-04-02"),
    (P["twovillages"], "李七", "乙村", "F2", "500.00", "2020-04-01", "2020-04-02"),   # id-two-villages
    (P["outlier"], "赵八", "甲村", "F1", "5000.00", "2020-04-01", "2020-04-02"),      # amount-outlier
    (P["dead"], "钱九", "甲村", "F1", "119.00", "2020-03-01", "2020-03-05"),          # after-death (2020-02-01)
    (P["official"], "孙十", "甲村", "F1", "120.00", "2020-03-01", "2020-03-05"),      # official since 2019
    (P["late"], "周一", "甲村", "F1", "121.00", "2020-12-20", "2021-02-01"),          # after-year-end
]
CLEAN_PAYMENTS = (
    [(pid, f"吴{i}", "甲村", "F1", f"{100 + i}.00", "2020-05-01", "2020-05-02") for i, pid in enumerate(CLEAN)]
    + [(pid, f"郑{i}", "乙村", "F2", "500.00", f"2020-0{m}-05", f"2020-0{m}-06")
       for i, pid in enumerate(MONTHLY) for m in (1, 2, 3)]
)
ALLOCATIONS = """fund_code,year,document_no,recipient,township,amount,approved_date,paid_date
F1,2020,财发1号,甲镇财政所,甲镇,{f1},2020-02-01,2020-02-03
F2,2020,财发2号,甲镇财政所,甲镇,{f2},2020-02-01,2020-02-16
F3,2020,财发3号,甲镇财政所,甲镇,15000.00,2020-02-01,
"""
PROJECTS = """fund_code,year,project_code,project_name,township,village,amount,approved_date,paid_date,paid_amount
F3,2020,XM1,村道硬化,甲镇,甲村,10000.00,2020-05-01,2020-05-03,10000.00
F3,2020,XM2,桥梁维修,甲镇,乙村,5000.00,2020-05-01,,
"""
FLAGS = f"""id_number,name,flag,date
{P['dead']},钱九,deceased,2020-02-01
{P['official']},孙十,official,2019-01-01
"""
F1_GAP = Decimal("100.50")  # allocated to F1 beyond what was paid to households


def payment_total(fund: str) -> Decimal:
    """What the planted payments of one fund add up to."""
    return sum((Decimal(r[4]) for r in PLANTED_PAYMENTS + CLEAN_PAYMENTS if r[3] == fund), Decimal("0.00"))


def build(folder: Path) -> Path:
    """Write the sheets to `folder` and load them through the real pipeline; returns the database path."""
    from pipelines.ingest import ingest_file, open_for_ingest

    folder.mkdir(parents=True, exist_ok=True)
    lines = ["fund_code,year,township,village,name,id_number,amount,approved_date,paid_date"]
    for pid, name, village, fund, amount, approved, paid in PLANTED_PAYMENTS + CLEAN_PAYMENTS:
        lines.append(f"{fund},2020,甲镇,{village},{name},{pid},{amount},{approved},{paid}")
    files = {
        "funds": FUNDS,
        "payments": "\n".join(lines) + "\n",
        "allocations": ALLOCATIONS.format(f1=payment_total("F1") + F1_GAP, f2=payment_total("F2")),
        "projects": PROJECTS,
        "people_flags": FLAGS,
    }
    path = folder / "planted.duckdb"
    con, key = open_for_ingest(path)
    try:
        for kind, text in files.items():
            f = folder / f"{kind}.csv"
            f.write_text(text, encoding="utf-8")
            outcome = ingest_file(con, key, kind, f, "test")
            assert outcome.status == "loaded", (kind, outcome.report.flatten()[:5])
    finally:
        con.close()
    return path
