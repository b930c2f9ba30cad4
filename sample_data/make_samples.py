"""Writes the sample spreadsheets in this folder (made-up people only). Run: python sample_data/make_samples.py

The valid files together form one small county year (2007) using every tolerated variation;
invalid/ holds one file per error code, listed with the expected row and column in
invalid/manifest.csv, which the tests read.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import xlsxwriter
import xlwt

from funds.idnumber import check_char

HERE = Path(__file__).resolve().parent
BAD = HERE / "invalid"


def pid(body17: str) -> str:
    """A made-up 18-character ID with a valid check digit."""
    return body17 + check_char(body17)


P = {  # made-up people: name → ID
    "张三": pid("42010219800101001"), "李四": pid("42010219750505002"), "王五": pid("42010219600303003"),
    "赵六": pid("42010219550707004"), "孙七": pid("42010219900909005"), "阿依古丽·买买提": pid("65010219851111006"),
    "周八": pid("42010219451212007"), "吴九": pid("42010219700202008"), "郑十": pid("42010219881010009"),
    "Kim Minjun": pid("42010219920303010"),
}
LEGACY15 = "420102500101011"  # 15-digit legacy ID of 陈一 (normalised to 420102195001010117 + check)


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8", delimiter: str = ",") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=delimiter, lineterminator="\n").writerows(rows)


def valid() -> None:
    write_csv(HERE / "funds.csv", [
        ["资金编码", "资金名称", "年度", "资金类别", "主管部门", "政策依据", "拨付时限(天)"],
        ["F01", "粮食直补", 2007, "到户", "农业局", "财农[2007]12号", 15],
        ["F02", "农村最低生活保障", 2007, "到人", "民政局", "民发[2007]3号", 10],
        ["F03", "高龄津贴", 2007, "个人", "民政局", "", 10],
        ["F04", "农村危房改造补助", 2007, "到人到户", "住建局", "", 30],
        ["P01", "村村通公路建设", 2007, "到项目", "交通局", "", 30],
        ["P02", "小型农田水利", 2007, "项目", "水利局", "", ""],
    ])
    write_csv(HERE / "funds_en.csv", [
        ["code", "name", "year", "category", "department", "policy", "deadline_days"],
        ["F01", "Grain subsidy", 2008, "household", "Agriculture Bureau", "", 15],
        ["P01", "Rural roads", 2008, "project", "Transport Bureau", "", 30],
    ])
    # payments 1: UTF-8 with BOM, title rows, totals row, thousands separators, several date forms
    rows = [["2007年惠民惠农补贴资金发放明细表", "", "", "", "", "", "", "", "", "", ""],
            ["单位：元", "", "", "", "", "", "", "", "", "", ""],
            ["资金编码", "年度", "乡镇", "村", "户编号", "姓名", "身份证号", "面积(亩)", "补贴标准", "金额", "审批日期", "发放日期"]]
    data = [
        ["F01", 2007, "城关镇", "东村", "H001", "张三", P["张三"], "12.5", "10", "125.00", "2007-03-05", "2007/3/8"],
        ["F01", 2007, "城关镇", "东村", "H002", "李 四", P["李四"], "8", "10", "80", "2007年3月5日", "2007.03.20"],
        ["F01", 2007, "河口乡", "西村", "H003", "王五", P["王五"].lower(), "100", "10", "1,000.00", "20070305", "20070306"],
        ["F02", 2007, "城关镇", "东村", "H002", "李四", P["李四"], "", "", "300", "2007-04-01", ""],
        ["F02", 2007, "城关镇", "东村", "H004", "阿依古丽·买买提", P["阿依古丽·买买提"], "", "", "300", "2007-04-01", "2007-04-03"],
    ]
    total = sum(float(r[9].replace(",", "")) for r in data)
    write_csv(HERE / "payments_utf8_bom.csv", rows + data + [["合计", "", "", "", "", "", "", "", "", f"{total:.2f}", "", ""]],
              encoding="utf-8-sig")
    # payments 2: GBK, semicolons, fund names instead of codes, a 15-digit legacy ID, full-width digits
    write_csv(HERE / "payments_gbk.csv", [
        ["资金名称", "年份", "乡(镇)", "村(社区)", "户主姓名", "公民身份号码", "发放金额（元）", "核定日期", "到账日期", "一卡通账号"],
        ["高龄津贴", "2007", "河口乡", "西村", "陈一", LEGACY15, "１２０", "2007-05-10", "2007-05-25", "6228480012345678"],
        ["高龄津贴", "2007", "河口乡", "西村", "周八", " " + P["周八"] + " ", "120.00", "2007-05-10", "", ""],
        ["农村危房改造补助", "2007", "城关镇", "南村", "吴九", P["吴九"], "5,000", "2007-06-01", "2007-07-15", ""],
    ], encoding="gbk", delimiter=";")
    # payments 3: English headers, tab separated
    write_csv(HERE / "payments_en.tsv", [
        ["fund_code", "year", "township", "village", "name", "id_number", "amount", "approved_date", "paid_date"],
        ["F02", "2007", "Chengguan", "East", "Kim Minjun", P["Kim Minjun"], "300", "2007-04-01", "2007-04-02"],
        ["F03", "2007", "Chengguan", "East", "Zheng Shi", P["郑十"], "120", "2007-05-10", "2007-05-12"],
    ], delimiter="\t")
    # payments 4: Korean headers
    write_csv(HERE / "payments_ko.csv", [
        ["자금코드", "연도", "읍면", "마을", "성명", "주민번호", "금액", "approved_date", "지급일"],
        ["F03", "2007", "城关镇", "东村", "赵六", P["赵六"], "120", "2007-05-10", "2007-05-11"],
    ])
    # payments 5: xlsx with a merged title, a blank row, date cells and an Excel serial date
    wb = xlsxwriter.Workbook(str(HERE / "payments_title.xlsx"))
    ws = wb.add_worksheet("发放明细")
    text = wb.add_format({"num_format": "@"})
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.merge_range("A1:H1", "2007年农村危房改造补助发放明细表")
    ws.write_row(2, 0, ["资金编码", "年度", "乡镇", "村", "姓名", "身份证号", "金额", "审批日期"])
    ws.write_string(3, 0, "F04")
    ws.write_number(3, 1, 2007)
    ws.write_row(3, 2, ["城关镇", "南村", "孙七"])
    ws.write_string(3, 5, P["孙七"], text)
    ws.write_number(3, 6, 4500.5)
    ws.write_datetime(3, 7, dt.datetime(2007, 6, 2), day)
    ws.write_string(5, 0, "F04")  # row 5 (index 4) left blank on purpose
    ws.write_number(5, 1, 2007)
    ws.write_row(5, 2, ["城关镇", "北村", "郑十"])
    ws.write_string(5, 5, P["郑十"], text)
    ws.write_number(5, 6, 3000)
    ws.write_number(5, 7, 39235)  # Excel serial for 2007-06-01, as an unformatted number
    wb.close()
    # payments 6: legacy .xls
    book = xlwt.Workbook(encoding="utf-8")
    sh = book.add_sheet("Sheet1")
    for c, h in enumerate(["资金编码", "年度", "乡镇", "村", "姓名", "身份证号", "金额", "审批日期", "发放日期"]):
        sh.write(0, c, h)
    for c, v in enumerate(["F01", "2007", "石桥镇", "上村", "周八", P["周八"], "66.60", "2007-03-05", "2007-03-09"]):
        sh.write(1, c, v)
    book.save(str(HERE / "payments_legacy.xls"))
    # allocations: xlsx with date cells, no year column (taken from the approval date)
    wb = xlsxwriter.Workbook(str(HERE / "allocations.xlsx"))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["资金编码", "批复文号", "收款单位", "乡镇", "拨付金额", "审批日期", "拨付日期"])
    allocs = [("F01", "财发[2007]1号", "城关镇财政所", "城关镇", 120000.00, (2007, 3, 1), (2007, 3, 3)),
              ("F01", "财发[2007]2号", "河口乡财政所", "河口乡", 80000.50, (2007, 3, 1), (2007, 3, 9)),
              ("F02", "财发[2007]3号", "城关镇财政所", "城关镇", 50000.00, (2007, 3, 20), (2007, 4, 30)),
              ("P01", "财发[2007]4号", "县交通局", "", 300000.00, (2007, 5, 1), None)]
    for i, (code, doc, rec, town, amt, ap, pd_) in enumerate(allocs, 1):
        ws.write_row(i, 0, [code, doc, rec, town])
        ws.write_number(i, 4, amt)
        ws.write_datetime(i, 5, dt.datetime(*ap), day)
        if pd_:
            ws.write_datetime(i, 6, dt.datetime(*pd_), day)
    wb.close()
    # projects in 万元 with a totals row
    wb = xlsxwriter.Workbook(str(HERE / "projects_wan.xlsx"))
    ws = wb.add_worksheet()
    ws.merge_range("A1:J1", "2007年项目资金公开表")
    ws.write(1, 0, "单位：万元")
    ws.write_row(2, 0, ["资金编码", "项目编号", "项目名称", "乡镇", "村", "实施单位", "项目资金", "已拨付金额", "批复日期", "进度"])
    projs = [("P01", "XM001", "东村至西村公路", "城关镇", "东村", "县交通局", 35.5, 35.5, "2007-04-01", "已完工"),
             ("P01", "XM002", "河口乡通村公路", "河口乡", "", "县交通局", 120.0, 60.0, "2007-05-01", "在建"),
             ("P02", "XM001", "西村灌溉渠", "河口乡", "西村", "县水利局", 12.3456, 0, "2007-06-01", "未开工")]
    for i, row in enumerate(projs, 3):
        ws.write_row(i, 0, row[:6])
        ws.write_number(i, 6, row[6])
        ws.write_number(i, 7, row[7])
        ws.write_string(i, 8, row[8])
        ws.write_string(i, 9, row[9])
    ws.write_string(6, 0, "合计")
    ws.write_number(6, 6, 167.8456)
    wb.close()
    # budgets: GBK with a title row and a unit note
    write_csv(HERE / "budgets_gbk.csv", [
        ["2007年部门预算公开表", "", "", "", "", "", ""],
        ["单位：万元", "", "", "", "", "", ""],
        ["年度", "单位编码", "单位名称", "支出类别", "项目", "预算数", "决算数"],
        ["2007", "101", "县财政局", "基本支出", "人员经费", "120.50", "118.20"],
        ["2007", "101", "县财政局", "三公经费", "公务接待", "3.20", "2.95"],
        ["2007", "102", "县民政局", "项目支出", "低保专项", "800.00", ""],
    ], encoding="gbk")
    write_csv(HERE / "people_flags.csv", [
        ["身份证号", "姓名", "标记", "日期"],
        [P["周八"], "周八", "死亡", "2007-04-01"],
        [P["吴九"], "吴九", "公职人员", "2005-01-01"],
    ])


# (file, kind, row, column, code, rows of the file) — one broken rule each
PAY_HEAD = ["资金编码", "年度", "乡镇", "村", "姓名", "身份证号", "金额", "审批日期", "发放日期"]


def pay(**over: object) -> list[object]:
    base = {"资金编码": "F01", "年度": "2007", "乡镇": "石桥镇", "村": "下村", "姓名": "钱二",
            "身份证号": pid("42010219660606011"), "金额": "50", "审批日期": "2007-08-01", "发放日期": "2007-08-02"}
    base.update({k.replace("_", ""): v for k, v in over.items()})
    return [base[h] for h in PAY_HEAD]


def invalid() -> None:
    cases: list[tuple[str, str, object, object, str]] = []

    def csv_case(code: str, kind: str, row: object, column: object, rows: list[list[object]], enc: str = "utf-8") -> None:
        write_csv(BAD / f"{code}.csv", rows, encoding=enc)
        cases.append((f"{code}.csv", kind, row, column, code))

    good = pay()
    csv_case("missing-column", "payments", 1, "id_number", [[h for h in PAY_HEAD if h != "身份证号"],
                                                            [v for h, v in zip(PAY_HEAD, good) if h != "身份证号"]])
    csv_case("bad-id-checksum", "payments", 3, "id_number",
             [PAY_HEAD, good, pay(身份证号="42010219660606021" + ("0" if check_char("42010219660606021") != "0" else "1"))])
    csv_case("bad-id-format", "payments", 2, "id_number", [PAY_HEAD, pay(身份证号="42010219660606")])
    csv_case("bad-date", "payments", 2, "approved_date", [PAY_HEAD, pay(审批日期="2007-02-30")])
    csv_case("ambiguous-date", "payments", 2, "approved_date", [PAY_HEAD, pay(审批日期="03/04/2007")])
    csv_case("paid-before-approved", "payments", 2, "paid_date", [PAY_HEAD, pay(发放日期="2007-07-30")])
    csv_case("bad-number", "payments", 2, "amount", [PAY_HEAD, pay(金额="五十元")])
    csv_case("non-positive-amount", "payments", 2, "amount", [PAY_HEAD, pay(金额="0")])
    csv_case("bad-precision", "payments", 2, "amount", [PAY_HEAD, pay(金额="50.123")])
    csv_case("bad-year", "payments", 2, "year", [PAY_HEAD, pay(年度="1899")])
    csv_case("unknown-fund", "payments", 2, "fund_code", [PAY_HEAD, pay(资金编码="F99")])
    csv_case("missing-value", "payments", 2, "name", [PAY_HEAD, pay(姓名="")])
    csv_case("text-too-long", "payments", 2, "name", [PAY_HEAD, pay(姓名="长" * 41)])
    csv_case("duplicate-row", "payments", 3, None, [PAY_HEAD, good, good])
    csv_case("already-loaded", "payments", 2, None,
             [["资金编码", "年度", "乡镇", "村", "户编号", "姓名", "身份证号", "面积(亩)", "补贴标准", "金额", "审批日期", "发放日期"],
              ["F01", 2007, "城关镇", "东村", "H001", "张三", P["张三"], "12.5", "10", "125", "2007-03-05", "2007-03-08"]])
    csv_case("totals-mismatch", "payments", 4, "amount", [PAY_HEAD, good, pay(姓名="钱三", 身份证号=pid("42010219660606038")),
                                                         ["合计", "", "", "", "", "", "999", "", ""]])
    csv_case("duplicate-column", "payments", 1, "amount", [PAY_HEAD + ["补贴金额"], good + ["50"]])
    csv_case("bad-account", "payments", 2, "account_no", [PAY_HEAD + ["银行账号"], good + ["6228-48AB-1234"]])
    csv_case("bad-category", "funds", 2, "category", [["资金编码", "资金名称", "年度", "资金类别", "主管部门"],
                                                      ["F77", "测试资金", "2007", "到村", "财政局"]])
    csv_case("duplicate-key", "funds", 3, "fund_code", [["资金编码", "资金名称", "年度", "资金类别", "主管部门"],
                                                        ["F77", "测试资金", "2007", "到户", "财政局"],
                                                        ["F77", "另一个资金", "2007", "到户", "民政局"]])
    csv_case("paid-exceeds-amount", "projects", 2, "paid_amount",
             [["资金编码", "项目编号", "项目名称", "项目资金", "已拨付金额", "批复日期"],
              ["P01", "XM900", "测试项目", "100", "150", "2007-05-01"]])
    csv_case("negative-number", "budgets", 2, "budget", [["年度", "单位名称", "支出类别", "项目", "预算数"],
                                                         ["2007", "县财政局", "基本支出", "人员经费", "-5"]])
    csv_case("bad-flag", "people_flags", 2, "flag", [["身份证号", "标记", "日期"], [P["张三"], "外出", "2007-01-01"]])
    csv_case("no-data-rows", "payments", 1, None, [PAY_HEAD])
    # a budget sheet uploaded as payments: the required payment columns are missing
    csv_case("kind-mismatch", "payments", 1, "township", [["年度", "单位名称", "支出类别", "项目", "预算数"],
                                                          ["2007", "县财政局", "基本支出", "人员经费", "5"]])
    cases[-1] = ("kind-mismatch.csv", "payments", 1, "township", "missing-column")
    # Excel turned the ID into a number (a numeric cell)
    wb = xlsxwriter.Workbook(str(BAD / "excel-mangled-id.xlsx"))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, PAY_HEAD)
    ws.write_row(1, 0, good)
    ws.write_row(2, 0, pay(姓名="钱四"))
    ws.write_number(2, 5, 420102196606060000)
    wb.close()
    cases.append(("excel-mangled-id.xlsx", "payments", 3, "id_number", "excel-mangled-id"))
    # a VLOOKUP that found nothing: the paid date is Excel's error value #N/A, not a blank
    wb = xlsxwriter.Workbook(str(BAD / "excel-error.xlsx"))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, PAY_HEAD)
    ws.write_row(1, 0, good[:-1])
    ws.write_formula(1, len(PAY_HEAD) - 1, "=VLOOKUP(E2,到账!A:B,2,FALSE)", None, "#N/A")
    wb.close()
    cases.append(("excel-error.xlsx", "payments", 2, "paid_date", "excel-error"))
    write_csv(BAD / "excel-mangled-id-text.csv", [PAY_HEAD, pay(身份证号="4.20102E+17")])
    cases.append(("excel-mangled-id-text.csv", "payments", 2, "id_number", "excel-mangled-id"))
    # a truncated workbook, an empty file, binary junk
    whole = (HERE / "allocations.xlsx").read_bytes()
    (BAD / "unreadable-file.xlsx").write_bytes(whole[: len(whole) // 2])
    cases.append(("unreadable-file.xlsx", "allocations", None, None, "unreadable-file"))
    (BAD / "empty-file.csv").write_bytes(b"")
    cases.append(("empty-file.csv", "payments", None, None, "empty-file"))
    (BAD / "binary.csv").write_bytes(bytes(range(256)) * 4)
    cases.append(("binary.csv", "payments", None, None, "unreadable-file"))
    (BAD / "unsupported-file-type.pdf").write_bytes(b"%PDF-1.4 not a spreadsheet")
    cases.append(("unsupported-file-type.pdf", "payments", None, None, "unsupported-file-type"))
    write_csv(BAD / "manifest.csv", [["file", "kind", "row", "column", "code"]]
              + [[f, k, "" if r is None else r, c or "", code] for f, k, r, c, code in cases])


if __name__ == "__main__":
    valid()
    invalid()
    print("sample files written to", HERE)
