"""The spreadsheet contract (../shared/TEMPLATES.md) as data: per sheet kind, its columns and headers.

Each column names its canonical name, whether it is required, the headers accepted for it
(Chinese, English, Korean; the canonical name is always accepted too), the value type the
pipeline normalises it to, and its label in zh/en/ko for messages. PII columns are marked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# value types understood by pipelines/normalise.py
TEXT, YEAR, INT, MONEY, DECIMAL, DATE, ID, ACCOUNT, CATEGORY, FLAG = (
    "text", "year", "int", "money", "decimal", "date", "id", "account", "category", "flag",
)


@dataclass(frozen=True)
class Column:
    """One canonical column of a sheet kind."""

    name: str
    required: bool
    headers: tuple[str, ...]
    type: str
    zh: str
    en: str
    ko: str
    pii: bool = False
    max_len: int = 200
    positive: bool = False  # money/decimal: > 0 (else >= 0)

    def label(self, lang: str) -> str:
        """The column's name for a user in one language."""
        return {"zh": self.zh, "en": self.en, "ko": self.ko}.get(lang, self.zh)


@dataclass(frozen=True)
class Kind:
    """A sheet kind: its columns and how its rows are told apart."""

    name: str
    table: str  # the table its rows are loaded into
    zh: str
    en: str
    ko: str
    columns: tuple[Column, ...]
    either: tuple[str, ...] = ()  # at least one of these columns is required (fund code or name)
    year_from: str | None = None  # when the year column is absent, take the year of this date
    natural_key: tuple[str, ...] = field(default=())  # unique within a year (and fund)

    def column(self, name: str) -> Column:
        """A column by canonical name."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical column names in order."""
        return tuple(c.name for c in self.columns)

    def money_columns(self) -> tuple[str, ...]:
        """The columns holding yuan amounts (scaled by a 万元 unit)."""
        return tuple(c.name for c in self.columns if c.type == MONEY or c.name == "rate")

    def label(self, lang: str) -> str:
        """The kind's name for a user in one language."""
        return {"zh": self.zh, "en": self.en, "ko": self.ko}.get(lang, self.zh)


def _c(name: str, required: bool, headers: str, type_: str, zh: str, en: str, ko: str, **kw: object) -> Column:
    return Column(name, required, tuple(h.strip() for h in headers.split(",")), type_, zh, en, ko, **kw)  # type: ignore[arg-type]


_FUND_CODE = "资金编码,资金代码,资金编号,fund_code,fund code,자금코드"
_FUND_NAME = "资金名称,专项资金名称,资金项目,fund_name,fund name,자금명"
_YEAR = "年度,年份,year,연도"
_TOWNSHIP = "乡镇,乡(镇),镇,乡镇(街道),街道,township,읍면"
_VILLAGE = "村,村(社区),行政村,村名,社区,village,마을"

FUNDS = Kind(
    "funds", "fund_rows", "资金目录", "fund catalogue", "자금 목록",
    (
        _c("fund_code", True, "资金编码,资金代码,项目代码,资金编号,code,fund code,자금코드", TEXT, "资金编码", "fund code", "자금코드", max_len=50),
        _c("fund_name", True, "资金名称,专项资金名称,name,fund name,자금명", TEXT, "资金名称", "fund name", "자금명"),
        _c("year", True, _YEAR, YEAR, "年度", "year", "연도"),
        _c("category", True, "资金类别,类别,category,분류", CATEGORY, "资金类别", "category", "분류"),
        _c("department", True, "主管部门,管理部门,department,주관부서", TEXT, "主管部门", "department", "주관부서"),
        _c("policy_basis", False, "政策依据,文件依据,依据,policy,policy_basis", TEXT, "政策依据", "policy basis", "정책 근거", max_len=1000),
        _c("deadline_days", False, "拨付时限(天),拨付时限,时限,时限(天),deadline_days,deadline", INT, "拨付时限(天)", "deadline (days)", "지급 기한(일)"),
    ),
    natural_key=("fund_code",),
)

PAYMENTS = Kind(
    "payments", "payment_rows", "补贴发放明细", "household payments", "가구별 지급 내역",
    (
        _c("fund_code", False, _FUND_CODE, TEXT, "资金编码", "fund code", "자금코드", max_len=50),
        _c("fund_name", False, _FUND_NAME + ",补贴项目,补贴类型,补贴名称", TEXT, "资金名称", "fund name", "자금명"),
        _c("year", True, _YEAR, YEAR, "年度", "year", "연도"),
        _c("township", True, _TOWNSHIP, TEXT, "乡镇", "township", "읍면"),
        _c("village", True, _VILLAGE, TEXT, "村", "village", "마을"),
        _c("name", True, "姓名,户主姓名,户主,领取人,收款人,name,성명,이름", TEXT, "姓名", "name", "성명", pii=True, max_len=40),
        _c("id_number", True, "身份证号,身份证号码,公民身份号码,身份证,id_number,id number,주민번호", ID, "身份证号", "ID number", "주민번호", pii=True),
        _c("household_no", False, "户编号,户号,household_no,household no", TEXT, "户编号", "household no.", "가구번호", max_len=50),
        _c("quantity", False, "数量,面积,面积(亩),人数,quantity", DECIMAL, "数量", "quantity", "수량"),
        _c("rate", False, "补贴标准,标准,rate", DECIMAL, "补贴标准", "rate", "기준"),
        _c("amount", True, "金额,补贴金额,发放金额,amount,금액", MONEY, "金额", "amount", "금액", positive=True),
        _c("approved_date", True, "审批日期,批准日期,核定日期,approved_date,approved date,승인일", DATE, "审批日期", "approved date", "승인일"),
        _c("paid_date", False, "发放日期,支付日期,到账日期,paid_date,paid date,지급일", DATE, "发放日期", "paid date", "지급일"),
        _c("account_no", False, "一卡通账号,银行账号,存折号,账号,account_no,account no", ACCOUNT, "账号", "account no.", "계좌번호", pii=True),
        _c("remarks", False, "备注,remarks,비고", TEXT, "备注", "remarks", "비고", max_len=1000),
    ),
    either=("fund_code", "fund_name"),
)

ALLOCATIONS = Kind(
    "allocations", "allocation_rows", "资金拨付", "fund transfers", "자금 이체",
    (
        _c("fund_code", False, _FUND_CODE, TEXT, "资金编码", "fund code", "자금코드", max_len=50),
        _c("fund_name", False, _FUND_NAME, TEXT, "资金名称", "fund name", "자금명"),
        _c("year", False, _YEAR, YEAR, "年度", "year", "연도"),
        _c("document_no", False, "文号,批复文号,拨款文号,document_no,document no", TEXT, "文号", "document no.", "문서번호"),
        _c("recipient", True, "收款单位,拨付对象,用款单位,recipient", TEXT, "收款单位", "recipient", "수령기관"),
        _c("township", False, _TOWNSHIP, TEXT, "乡镇", "township", "읍면"),
        _c("amount", True, "金额,拨付金额,amount,금액", MONEY, "拨付金额", "amount", "금액", positive=True),
        _c("approved_date", True, "审批日期,批复日期,approved_date,approved date", DATE, "审批日期", "approved date", "승인일"),
        _c("paid_date", False, "拨付日期,支付日期,paid_date,paid date", DATE, "拨付日期", "paid date", "지급일"),
    ),
    either=("fund_code", "fund_name"),
    year_from="approved_date",
)

PROJECTS = Kind(
    "projects", "project_rows", "项目资金", "projects", "사업",
    (
        _c("fund_code", False, _FUND_CODE, TEXT, "资金编码", "fund code", "자금코드", max_len=50),
        _c("fund_name", False, _FUND_NAME, TEXT, "资金名称", "fund name", "자금명"),
        _c("year", False, _YEAR, YEAR, "年度", "year", "연도"),
        _c("project_code", True, "项目编号,项目代码,project_code,project code,사업코드", TEXT, "项目编号", "project code", "사업코드", max_len=50),
        _c("project_name", True, "项目名称,project_name,project name,사업명", TEXT, "项目名称", "project name", "사업명"),
        _c("township", False, _TOWNSHIP, TEXT, "乡镇", "township", "읍면"),
        _c("village", False, _VILLAGE, TEXT, "村", "village", "마을"),
        _c("implementer", False, "实施单位,项目单位,implementer", TEXT, "实施单位", "implementer", "시행기관"),
        _c("amount", True, "项目资金,金额,批复金额,amount,금액", MONEY, "项目资金", "amount", "사업비", positive=True),
        _c("approved_date", True, "批复日期,审批日期,approved_date,approved date", DATE, "批复日期", "approved date", "승인일"),
        _c("paid_date", False, "拨付日期,paid_date,paid date", DATE, "拨付日期", "paid date", "지급일"),
        _c("paid_amount", False, "已拨付金额,已拨付,paid_amount,paid amount", MONEY, "已拨付金额", "paid amount", "지급액"),
        _c("status", False, "进度,状态,项目进度,status", TEXT, "进度", "status", "진행"),
    ),
    either=("fund_code", "fund_name"),
    year_from="approved_date",
    natural_key=("fund_code", "project_code"),
)

BUDGETS = Kind(
    "budgets", "budget_rows", "部门预算", "department budgets", "부서 예산",
    (
        _c("year", True, "年度,年份,year,연도", YEAR, "年度", "year", "연도"),
        _c("department_code", False, "单位编码,预算单位编码,department_code", TEXT, "单位编码", "department code", "부서코드", max_len=50),
        _c("department", True, "单位名称,预算单位,部门,department,부서", TEXT, "单位名称", "department", "부서"),
        _c("category", True, "支出类别,功能分类,类别,category", TEXT, "支出类别", "category", "지출 분류"),
        _c("item", True, "项目,科目,支出项目,item", TEXT, "项目", "item", "항목"),
        _c("budget", True, "预算数,年初预算,预算,budget,예산", MONEY, "预算数", "budget", "예산"),
        _c("actual", False, "决算数,执行数,actual,결산", MONEY, "决算数", "actual", "결산"),
    ),
)

PEOPLE_FLAGS = Kind(
    "people_flags", "people_flag_rows", "人员标记", "people flags", "인원 표시",
    (
        _c("id_number", True, "身份证号,身份证号码,公民身份号码,id_number,id number,주민번호", ID, "身份证号", "ID number", "주민번호", pii=True),
        _c("name", False, "姓名,name,성명", TEXT, "姓名", "name", "성명", pii=True, max_len=40),
        _c("flag", True, "标记,类型,flag", FLAG, "标记", "flag", "표시"),
        _c("date", True, "日期,死亡日期,任职日期,date", DATE, "日期", "date", "날짜"),
    ),
)

KINDS: dict[str, Kind] = {k.name: k for k in (FUNDS, PAYMENTS, ALLOCATIONS, PROJECTS, BUDGETS, PEOPLE_FLAGS)}

CATEGORY_WORDS = {
    "household": ("household", "到户", "到人", "到人到户", "到户到人", "到人(户)", "到人（户）", "个人", "가구"),
    "project": ("project", "到项目", "项目", "사업"),
}
FLAG_WORDS = {
    "deceased": ("deceased", "死亡", "已故", "去世", "사망"),
    "official": ("official", "公职人员", "财政供养人员", "공무원"),
}
TOTAL_WORDS = ("合计", "总计", "小计", "total", "合計", "總計", "합계")
