"""A realistic demo county: made-up townships, villages and people, generated and loaded through the real pipeline.

Everything here is invented (names from common characters, IDs with valid check digits and
random birth dates). Payments are generated with numpy in chunks, so any size up to ~10M
rows is possible; the files go through the same ingest as a clerk's upload.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from funds.idnumber import CHECK_CHARS, WEIGHTS

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢")
GIVEN = list("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬建国文辉力斌波宁鹏飞云凤春梅兵志海燕")
TOWNSHIPS = ["城关镇", "河口镇", "柳林乡", "石桥镇", "青山乡", "白沙镇", "新安乡", "龙泉镇", "杨庄乡", "高坪镇",
             "三合乡", "东湖镇"]
VILLAGE_WORDS = ["东", "西", "南", "北", "前", "后", "上", "下", "大", "小", "新", "老"]
VILLAGE_ROOTS = ["庄", "湾", "岗", "桥", "坪", "沟", "河", "林", "岭", "洲"]
HOUSEHOLD_FUNDS = [
    ("粮食直补", "农业局", 15, 10), ("农资综合补贴", "农业局", 15, 10), ("良种补贴", "农业局", 15, 10),
    ("农村最低生活保障", "民政局", 10, 0), ("五保供养", "民政局", 10, 0), ("高龄津贴", "民政局", 10, 0),
    ("农村危房改造补助", "住建局", 30, 0), ("退耕还林补助", "林业局", 20, 10), ("生态公益林补偿", "林业局", 20, 10),
    ("能繁母猪补贴", "畜牧局", 15, 0), ("家电下乡补贴", "财政局", 15, 0), ("计划生育奖励扶助", "计生委", 15, 0),
    ("义务教育寄宿生生活补助", "教育局", 10, 0), ("优抚对象抚恤", "民政局", 10, 0),
    ("残疾人生活补贴", "残联", 10, 0), ("医疗救助", "民政局", 10, 0),
]
PROJECT_FUNDS = [
    ("村村通公路建设", "交通局", 30), ("小型农田水利", "水利局", 30), ("农村饮水安全", "水利局", 30),
    ("河道堤防整险", "水利局", 30), ("村级组织运转补助", "财政局", 15), ("一事一议奖补", "财政局", 30),
    ("扶贫开发项目", "扶贫办", 30), ("农村沼气建设", "农业局", 30),
]
DEPARTMENTS = ["财政局", "农业局", "民政局", "教育局", "卫生局", "水利局", "交通局", "林业局", "住建局", "畜牧局"]


@dataclass
class DemoFiles:
    """The files a demo county is made of, in load order."""

    funds: Path
    payments: list[Path]
    allocations: Path
    projects: Path
    budgets: Path


def _ids(rng: np.random.Generator, n: int, region: np.ndarray) -> np.ndarray:
    """n valid 18-character IDs: region code, birth date 1930-2000, sequence, check digit."""
    start = np.datetime64("1930-01-01")
    births = start + rng.integers(0, 365 * 70, n).astype("timedelta64[D]")
    ymd = np.char.replace(np.datetime_as_string(births, unit="D"), "-", "")
    seq = np.char.zfill(rng.integers(0, 1000, n).astype(str), 3)
    body = np.char.add(np.char.add(region.astype(str), ymd), seq)
    digits = np.frombuffer("".join(body.tolist()).encode("ascii"), dtype=np.uint8).reshape(n, 17) - 48
    total = (digits.astype(np.int64) * np.array(WEIGHTS)).sum(axis=1) % 11
    checks = np.array(list(CHECK_CHARS))[total]
    return np.char.add(body, checks)


def _lags(rng: np.random.Generator, n: int) -> np.ndarray:
    """Calendar days from approval to payment: mostly 0-3, some 4-10, a tail beyond."""
    bucket = rng.choice(3, size=n, p=[0.7644, 0.1034, 0.1322])
    return np.select([bucket == 0, bucket == 1], [rng.integers(0, 4, n), rng.integers(4, 11, n)],
                     rng.integers(11, 90, n))


def _people(rng: np.random.Generator, households: int) -> dict[str, np.ndarray]:
    town_idx = rng.integers(0, len(TOWNSHIPS), households)
    village_no = rng.integers(0, 12, households)
    villages = np.array([f"{w}{r}村" for w in VILLAGE_WORDS for r in VILLAGE_ROOTS])
    village = villages[(town_idx * 7 + village_no) % len(villages)]
    region = 420100 + town_idx * 2 + 1
    names = np.char.add(np.array(SURNAMES)[rng.integers(0, len(SURNAMES), households)],
                        np.array(GIVEN)[rng.integers(0, len(GIVEN), households)])
    two = rng.random(households) < 0.6
    names = np.where(two, np.char.add(names, np.array(GIVEN)[rng.integers(0, len(GIVEN), households)]), names)
    ids = _ids(rng, households, region)
    _, first = np.unique(ids, return_index=True)  # the rare repeated ID would merge two people
    keep = np.zeros(households, bool)
    keep[first] = True
    return {"township": np.array(TOWNSHIPS)[town_idx][keep], "village": village[keep], "name": names[keep],
            "id": ids[keep], "household_no": np.char.add("H", np.char.zfill(np.arange(households).astype(str), 7))[keep]}


def write_files(folder: Path, households: int = 2000, year: int = 2007, seed: int = 7,
                rows_per_file: int = 1_000_000) -> DemoFiles:
    """Write a demo county's spreadsheets to `folder` (CSV and xlsx, as clerks would send them)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    funds_rows = [("fund_code", "fund_name", "year", "category", "department", "deadline_days")]
    for i, (name, dept, deadline, _) in enumerate(HOUSEHOLD_FUNDS, 1):
        funds_rows.append((f"H{i:02d}", name, str(year), "到户", dept, str(deadline)))
    for i, (name, dept, deadline) in enumerate(PROJECT_FUNDS, 1):
        funds_rows.append((f"P{i:02d}", name, str(year), "到项目", dept, str(deadline)))
    funds_path = folder / "funds.csv"
    funds_path.write_text("\n".join(",".join(r) for r in funds_rows) + "\n", encoding="utf-8")

    people = _people(rng, households)
    n_people = len(people["id"])
    # each household takes 1-5 household funds; allowances (低保, 高龄) are paid quarterly
    per = rng.integers(1, 6, n_people)
    person = np.repeat(np.arange(n_people), per)
    combo = np.unique(person.astype(np.int64) * 100 + rng.integers(0, len(HOUSEHOLD_FUNDS), len(person)))
    person, fund = combo // 100, combo % 100
    reps = np.where(np.isin(fund, [3, 5]), 4, 1)
    quarter = np.concatenate([np.arange(r) for r in reps]) if len(reps) else np.array([], int)
    person, fund = np.repeat(person, reps), np.repeat(fund, reps)
    n = len(person)
    start = np.datetime64(f"{year}-01-01")
    approved = start + (np.where(reps.repeat(reps) > 1, quarter * 90 + rng.integers(0, 60, n),
                                 rng.integers(0, 330, n))).astype("timedelta64[D]")
    paid = approved + _lags(rng, n).astype("timedelta64[D]")
    unpaid = rng.random(n) < 0.02
    quantity = np.round(rng.uniform(1, 30, n), 1)
    rate = np.array([r for *_, r in HOUSEHOLD_FUNDS])[fund]
    fixed = rng.integers(50, 3000, n)
    amount_fen = np.where(rate > 0, np.round(quantity * 10).astype(np.int64) * rate * 10, fixed * 100)
    amount = np.char.add(np.char.add((amount_fen // 100).astype(str), "."),
                         np.char.zfill((amount_fen % 100).astype(str), 2))
    table = {
        "资金编码": np.char.add("H", np.char.zfill((fund + 1).astype(str), 2)),
        "年度": np.full(n, str(year)),
        "乡镇": people["township"][person], "村": people["village"][person], "户编号": people["household_no"][person],
        "姓名": people["name"][person], "身份证号": people["id"][person],
        "数量": np.where(rate > 0, quantity.astype(str), ""), "补贴标准": np.where(rate > 0, rate.astype(str), ""),
        "金额": amount,
        "审批日期": np.datetime_as_string(approved, unit="D"),
        "发放日期": np.where(unpaid, "", np.datetime_as_string(paid, unit="D")),
    }
    payments = []
    order = np.argsort(people["township"][person], kind="stable")
    for part, lo in enumerate(range(0, n, rows_per_file), 1):
        idx = order[lo: lo + rows_per_file]
        path = folder / f"payments_{part}.csv"
        pacsv.write_csv(pa.table({k: pa.array(v[idx].tolist() if v.dtype.kind == "U" else v[idx].astype(str).tolist())
                                  for k, v in table.items()}), path)
        payments.append(path)

    n_alloc = max(20, n // 700)
    a_approved = start + rng.integers(0, 330, n_alloc).astype("timedelta64[D]")
    a_paid = a_approved + _lags(rng, n_alloc).astype("timedelta64[D]")
    a_unpaid = rng.random(n_alloc) < 0.03
    a_fund = rng.integers(0, len(HOUSEHOLD_FUNDS) + len(PROJECT_FUNDS), n_alloc)
    codes = [f"H{i:02d}" for i in range(1, len(HOUSEHOLD_FUNDS) + 1)] + [f"P{i:02d}" for i in range(1, len(PROJECT_FUNDS) + 1)]
    alloc_lines = ["资金编码,批复文号,收款单位,乡镇,拨付金额,审批日期,拨付日期"]
    for i in range(n_alloc):
        town = TOWNSHIPS[i % len(TOWNSHIPS)]
        amt = int(rng.integers(10_000, 2_000_000))
        alloc_lines.append(
            f"{codes[a_fund[i]]},财发[{year}]{i + 1}号,{town}财政所,{town},{amt}.{int(rng.integers(0, 100)):02d},"
            f"{a_approved[i]},{'' if a_unpaid[i] else a_paid[i]}"
        )
    alloc_path = folder / "allocations.csv"
    alloc_path.write_text("\n".join(alloc_lines) + "\n", encoding="utf-8")

    projects_path = folder / "projects.xlsx"
    _write_projects(projects_path, rng, year, max(10, n // 2000))
    budgets_path = folder / "budgets_gbk.csv"
    lines = [f"{year}年部门预算公开表,,,,,", "单位：万元,,,,,", "年度,单位名称,支出类别,项目,预算数,决算数"]
    for dept in DEPARTMENTS:
        for cat, item in (("基本支出", "人员经费"), ("基本支出", "公用经费"), ("项目支出", "专项业务费"), ("三公经费", "公务接待")):
            b = int(rng.integers(100, 50000))
            lines.append(f"{year},{dept},{cat},{item},{b / 100:.2f},{int(b * rng.uniform(0.8, 1.0)) / 100:.2f}")
    budgets_path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    return DemoFiles(funds_path, payments, alloc_path, projects_path, budgets_path)


def _write_projects(path: Path, rng: np.random.Generator, year: int, count: int) -> None:
    """Projects in 万元 with a merged title row and a 合计 row, as an xlsx from Excel would have."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("项目资金")
    headers = ["资金编码", "项目编号", "项目名称", "乡镇", "村", "实施单位", "项目资金(万元)", "批复日期", "拨付日期", "进度"]
    ws.merge_range(0, 0, 0, len(headers) - 1, f"{year}年项目资金公开表")
    ws.write_row(1, 0, headers)
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    total = 0
    for i in range(count):
        fund = f"P{int(rng.integers(1, len(PROJECT_FUNDS) + 1)):02d}"
        wan = int(rng.integers(50, 5000))  # in 0.01 万元 = 100 yuan
        total += wan
        approved = dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(0, 300)))
        paid = approved + dt.timedelta(days=int(_lags(rng, 1)[0]))
        town = TOWNSHIPS[i % len(TOWNSHIPS)]
        ws.write_row(i + 2, 0, [fund, f"XM{year}{i + 1:04d}", f"{town}项目{i + 1}", town, "", f"{town}人民政府"])
        ws.write_string(i + 2, 6, f"{wan / 100:.2f}")
        ws.write_datetime(i + 2, 7, dt.datetime.combine(approved, dt.time()), date_fmt)
        ws.write_datetime(i + 2, 8, dt.datetime.combine(paid, dt.time()), date_fmt)
        ws.write_string(i + 2, 9, "已完工" if i % 3 else "在建")
    ws.write_row(count + 2, 0, ["合计"])
    ws.write_string(count + 2, 6, f"{total / 100:.2f}")
    wb.close()


def build(db_path: Path, households: int = 2000, year: int = 2007, seed: int = 7) -> str:
    """Generate a demo county and load it; returns a one-line summary."""
    from pipelines.ingest import ingest_file, open_for_ingest

    con, key = open_for_ingest(db_path)
    lines = []
    try:
        with tempfile.TemporaryDirectory(prefix="funds-demo-") as tmp:
            files = write_files(Path(tmp), households, year, seed)
            plan = [("funds", files.funds), *[("payments", p) for p in files.payments],
                    ("allocations", files.allocations), ("projects", files.projects), ("budgets", files.budgets)]
            for kind, path in plan:
                outcome = ingest_file(con, key, kind, path, "demo")
                lines.append(f"{kind:<12} {path.name:<22} {outcome.status:<15} {outcome.report.rows:>9} rows")
                if outcome.status == "rejected":
                    raise RuntimeError(f"demo file {path.name} was rejected: {outcome.report.flatten()[:5]}")
    finally:
        con.close()
    return "\n".join(lines)
