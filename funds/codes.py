"""The catalogue of problem codes: declared once, with zh/en/ko messages that say how to fix the input."""

from __future__ import annotations

from dataclasses import dataclass

LANGS = ("zh", "en", "ko")


@dataclass(frozen=True)
class Code:
    """One problem a file or row can have: stable code, severity and a message per language."""

    code: str
    severity: str  # "error" blocks the load; "warning" is reported and loaded
    zh: str
    en: str
    ko: str

    def message(self, lang: str = "zh", **params: object) -> str:
        """The message in one language with its placeholders filled; unknown languages fall back to zh."""
        template = getattr(self, lang if lang in LANGS else "zh")
        return template.format_map(_Defaults(params))


class _Defaults(dict):
    """format_map helper: a placeholder with no value renders as an empty string, never raises."""

    def __missing__(self, key: str) -> str:
        return ""


_E, _W = "error", "warning"

CATALOGUE: dict[str, Code] = {
    c.code: c
    for c in (
        # --- the file as a whole
        Code("unreadable-file", _E,
             "无法读取文件“{value}”：{detail}。请用 Excel 或 WPS 打开后另存为 .xlsx 或 UTF-8 CSV 再上传。",
             "Cannot read \"{value}\" as a spreadsheet: {detail}. Open it in Excel or WPS, save as .xlsx or UTF-8 CSV and upload again.",
             "\"{value}\" 파일을 스프레드시트로 읽을 수 없습니다: {detail}. Excel 또는 WPS에서 열어 .xlsx 또는 UTF-8 CSV로 저장한 뒤 다시 올리십시오."),
        Code("unsupported-file-type", _E,
             "不支持的文件类型“{value}”。请上传 .xlsx、.xls 或 .csv 文件。",
             "Unsupported file type \"{value}\". Upload an .xlsx, .xls or .csv file.",
             "지원하지 않는 파일 형식 \"{value}\"입니다. .xlsx, .xls 또는 .csv 파일을 올리십시오."),
        Code("file-too-large", _E,
             "文件过大（{value}），上限为 {expected}。请按乡镇拆分后分别上传。",
             "The file is too large ({value}); the limit is {expected}. Split it, e.g. by township, and upload the parts.",
             "파일이 너무 큽니다({value}). 한도는 {expected}입니다. 읍면별로 나누어 올리십시오."),
        Code("sheet-too-large", _E,
             "工作表的单元格一直延伸到 {detail}，远在表格之外，无法读取。请在 Excel 或 WPS 中删除表格以外的单元格（按 Ctrl+End 可找到最后一个），保存后重新上传。",
             "The sheet's cells reach as far as {detail}, far outside the table, so it cannot be read. In Excel or WPS delete the cells outside the table (Ctrl+End finds the last one), save and upload again.",
             "시트의 셀이 표 바깥 멀리 {detail}까지 있어 읽을 수 없습니다. Excel 또는 WPS에서 표 바깥의 셀을 지우고(Ctrl+End로 마지막 셀을 찾을 수 있습니다) 저장한 뒤 다시 올리십시오."),
        Code("empty-file", _E,
             "文件是空的。请确认导出的是有数据的工作表。",
             "The file is empty. Check that you exported the sheet that holds the data.",
             "파일이 비어 있습니다. 데이터가 있는 시트를 내보냈는지 확인하십시오."),
        Code("no-data-rows", _E,
             "表头在第 {row} 行，但下面没有数据行。请填入数据后再上传。",
             "The header is on row {row} but there are no data rows below it. Fill in the data and upload again.",
             "머리글은 {row}행에 있지만 그 아래에 데이터 행이 없습니다. 데이터를 입력한 뒤 다시 올리십시오."),
        Code("missing-column", _E,
             "缺少必填列“{column}”（可用列名：{expected}）。文件中找到的列：{found}。{hint}",
             "Required column \"{column}\" is missing (accepted headers: {expected}). Headers found: {found}. {hint}",
             "필수 열 \"{column}\"이(가) 없습니다(허용되는 머리글: {expected}). 찾은 머리글: {found}. {hint}"),
        Code("duplicate-column", _E,
             "列“{column}”出现了两次（第 {value} 列）。请删除多余的一列。",
             "Column \"{column}\" appears twice (columns {value}). Delete the extra column.",
             "\"{column}\" 열이 두 번 나옵니다({value}열). 남는 열을 삭제하십시오."),
        # --- one value
        Code("missing-value", _E,
             "第 {row} 行“{column}”为空，这是必填项。请补填。",
             "Row {row}: \"{column}\" is empty but required. Fill it in.",
             "{row}행: \"{column}\"이(가) 비어 있습니다. 필수 항목이니 입력하십시오."),
        Code("excel-mangled-id", _E,
             "第 {row} 行身份证号“{value}”已被 Excel 转成数字，后几位已丢失。请把该列设置为“文本”格式，重新录入或从原系统重新导出。",
             "Row {row}: ID number \"{value}\" was turned into a number by Excel and its last digits are lost. Format the column as Text, re-enter or export it again from the source system.",
             "{row}행: 주민번호 \"{value}\"이(가) Excel에서 숫자로 바뀌어 끝자리가 사라졌습니다. 열 서식을 '텍스트'로 바꾸고 원본 시스템에서 다시 내보내십시오."),
        Code("excel-error", _E,
             "第 {row} 行“{column}”是 Excel 错误值“{value}”（公式算不出结果，如 VLOOKUP 没找到）。请在 Excel 或 WPS 中修正公式或直接填入数值，再重新导出上传。",
             "Row {row}: \"{column}\" holds the Excel error \"{value}\" (a formula that could not be computed, e.g. a VLOOKUP that found nothing). Fix the formula in Excel or WPS, or type the value, then export and upload again.",
             "{row}행: \"{column}\"에 Excel 오류 값 \"{value}\"이(가) 있습니다(수식을 계산하지 못함, 예: 찾지 못한 VLOOKUP). Excel 또는 WPS에서 수식을 고치거나 값을 직접 입력한 뒤 다시 내보내 올리십시오."),
        Code("bad-id-format", _E,
             "第 {row} 行身份证号“{value}”格式不对：应为 18 位（最后一位可为 X）或 15 位数字。请核对后改正。",
             "Row {row}: ID number \"{value}\" is malformed: it must be 18 characters (the last may be X) or 15 digits. Check and correct it.",
             "{row}행: 주민번호 \"{value}\" 형식이 맞지 않습니다. 18자리(마지막은 X 가능) 또는 15자리 숫자여야 합니다."),
        Code("bad-id-checksum", _E,
             "第 {row} 行身份证号“{value}”校验位不对（应为 {expected}），多半是录入错误。请对照身份证改正。",
             "Row {row}: ID number \"{value}\" has a wrong check digit (expected {expected}); it is probably mistyped. Correct it from the ID card.",
             "{row}행: 주민번호 \"{value}\"의 검증 숫자가 틀립니다(기대값 {expected}). 신분증을 보고 고치십시오."),
        Code("bad-date", _E,
             "第 {row} 行“{column}”的值“{value}”不是日期。请写成 2007-03-05 或 2007年3月5日。",
             "Row {row}: \"{column}\" value \"{value}\" is not a date. Write it as 2007-03-05 or 2007年3月5日.",
             "{row}행: \"{column}\" 값 \"{value}\"은(는) 날짜가 아닙니다. 2007-03-05 형식으로 쓰십시오."),
        Code("ambiguous-date", _E,
             "第 {row} 行“{column}”的值“{value}”日和月可能颠倒，无法确定。请写成 年-月-日，如 2007-03-04。",
             "Row {row}: \"{column}\" value \"{value}\" is ambiguous (day and month could be swapped). Write it as year-month-day, e.g. 2007-03-04.",
             "{row}행: \"{column}\" 값 \"{value}\"은(는) 일과 월이 바뀔 수 있어 모호합니다. 2007-03-04처럼 연-월-일로 쓰십시오."),
        Code("paid-before-approved", _E,
             "第 {row} 行发放日期 {value} 早于审批日期 {expected}。请核对两个日期。",
             "Row {row}: paid date {value} is before the approved date {expected}. Check both dates.",
             "{row}행: 지급일 {value}이(가) 승인일 {expected}보다 빠릅니다. 두 날짜를 확인하십시오."),
        Code("bad-number", _E,
             "第 {row} 行“{column}”的值“{value}”不是数字。请只填数字（可带小数点和千分位逗号）。",
             "Row {row}: \"{column}\" value \"{value}\" is not a number. Enter digits only (a decimal point and thousands commas are fine).",
             "{row}행: \"{column}\" 값 \"{value}\"은(는) 숫자가 아닙니다. 숫자만 입력하십시오."),
        Code("non-positive-amount", _E,
             "第 {row} 行“{column}”为 {value}，金额必须大于 0。请改正或删除该行。",
             "Row {row}: \"{column}\" is {value}; an amount must be greater than 0. Correct it or delete the row.",
             "{row}행: \"{column}\" 값이 {value}입니다. 금액은 0보다 커야 합니다."),
        Code("negative-number", _E,
             "第 {row} 行“{column}”为 {value}，不能为负数。请改正。",
             "Row {row}: \"{column}\" is {value} and cannot be negative. Correct it.",
             "{row}행: \"{column}\" 값 {value}은(는) 음수일 수 없습니다."),
        Code("bad-precision", _E,
             "第 {row} 行“{column}”为 {value}，折合成元后超过 2 位小数（分）。请核对金额。",
             "Row {row}: \"{column}\" is {value}, which has more than 2 decimal places in yuan (fen). Check the amount.",
             "{row}행: \"{column}\" 값 {value}은(는) 원(위안)으로 환산하면 소수 둘째 자리를 넘습니다."),
        Code("bad-year", _E,
             "第 {row} 行年度“{value}”无效，应为 2000 到 2100 之间的四位年份。",
             "Row {row}: year \"{value}\" is invalid; it must be a four-digit year from 2000 to 2100.",
             "{row}행: 연도 \"{value}\"이(가) 잘못되었습니다. 2000~2100 사이의 네 자리 연도여야 합니다."),
        Code("bad-category", _E,
             "第 {row} 行资金类别“{value}”无法识别。请填“到户”（到人、个人）或“到项目”。",
             "Row {row}: category \"{value}\" is not recognised. Use household (到户) or project (到项目).",
             "{row}행: 분류 \"{value}\"을(를) 알 수 없습니다. household(到户) 또는 project(到项目)를 쓰십시오."),
        Code("bad-flag", _E,
             "第 {row} 行标记“{value}”无法识别。请填“死亡”或“公职人员”。",
             "Row {row}: flag \"{value}\" is not recognised. Use deceased (死亡) or official (公职人员).",
             "{row}행: 표시 \"{value}\"을(를) 알 수 없습니다. deceased(死亡) 또는 official(公职人员)을 쓰십시오."),
        Code("text-too-long", _E,
             "第 {row} 行“{column}”过长（{value} 个字），最多 {expected} 个字。请检查是否填错了列。",
             "Row {row}: \"{column}\" is too long ({value} characters, at most {expected}). Check the column is the right one.",
             "{row}행: \"{column}\"이(가) 너무 깁니다({value}자, 최대 {expected}자)."),
        Code("bad-account", _E,
             "第 {row} 行账号只能包含数字（已隐藏：{value}）。请核对后改正。",
             "Row {row}: the account number may contain digits only (masked: {value}). Check and correct it.",
             "{row}행: 계좌번호에는 숫자만 쓸 수 있습니다(가림: {value})."),
        Code("paid-exceeds-amount", _E,
             "第 {row} 行已拨付金额 {value} 超过项目资金 {expected}。请核对。",
             "Row {row}: paid amount {value} exceeds the project amount {expected}. Check both.",
             "{row}행: 지급액 {value}이(가) 사업비 {expected}을(를) 넘습니다."),
        # --- cross-row and cross-sheet
        Code("unknown-fund", _E,
             "第 {row} 行资金“{value}”不在 {expected} 年度的资金目录中。请先上传资金目录，或改正资金编码/名称。",
             "Row {row}: fund \"{value}\" is not in the {expected} fund catalogue. Upload the catalogue first, or correct the fund code/name.",
             "{row}행: 자금 \"{value}\"이(가) {expected}년 자금 목록에 없습니다. 자금 목록을 먼저 올리거나 코드/이름을 고치십시오."),
        Code("ambiguous-fund-name", _E,
             "第 {row} 行资金名称“{value}”在 {expected} 年度目录中对应多个资金。请改填资金编码。",
             "Row {row}: fund name \"{value}\" matches more than one fund in the {expected} catalogue. Use the fund code instead.",
             "{row}행: 자금명 \"{value}\"이(가) {expected}년 목록에서 둘 이상과 일치합니다. 자금코드를 쓰십시오."),
        Code("duplicate-row", _E,
             "第 {row} 行与第 {value} 行完全相同。请删除重复的行。",
             "Row {row} is an exact duplicate of row {value}. Delete the duplicate.",
             "{row}행은 {value}행과 완전히 같습니다. 중복 행을 삭제하십시오."),
        Code("already-loaded", _E,
             "第 {row} 行已在第 {value} 批次中导入过。如需更正该批次，请使用“替换批次”。",
             "Row {row} was already loaded in batch {value}. To correct that batch, replace it (--replace {value}).",
             "{row}행은 이미 {value}번 배치로 올라가 있습니다. 배치를 고치려면 교체(--replace {value})를 쓰십시오."),
        Code("duplicate-key", _E,
             "第 {row} 行“{column}”为“{value}”，同一年度内已存在（{expected}）。编码必须唯一，请改正。",
             "Row {row}: \"{column}\" \"{value}\" already exists for that year ({expected}). Codes must be unique; correct it.",
             "{row}행: \"{column}\" \"{value}\"은(는) 같은 연도에 이미 있습니다({expected})."),
        Code("totals-mismatch", _E,
             "第 {row} 行合计 {value} 与上面各行之和 {expected} 不符。请核对明细或合计。",
             "Row {row}: the total {value} does not match the sum of the rows above, {expected}. Check the rows or the total.",
             "{row}행: 합계 {value}이(가) 위 행들의 합 {expected}과(와) 다릅니다."),
        # --- warnings: reported, loaded
        Code("amount-mismatch", _W,
             "第 {row} 行金额 {value} 不等于数量×标准 {expected}。已按所填金额导入，请核对。",
             "Row {row}: amount {value} is not quantity x rate ({expected}). Loaded as entered; please check.",
             "{row}행: 금액 {value}이(가) 수량×기준 {expected}과(와) 다릅니다. 입력한 대로 올렸으니 확인하십시오."),
        Code("merged-cells-filled", _W,
             "表中有合并单元格（共 {value} 处，第一处在第 {row} 行“{column}”）：已把每个合并单元格的值填入它覆盖的每一行。金额、数量和标准列的合并单元格不填充。",
             "The sheet has merged cells ({value} in all, the first on row {row}, \"{column}\"): each merged cell's value was filled into every row it covers. Merged cells in amount, quantity and rate columns are not filled.",
             "표에 병합된 셀이 있습니다(모두 {value}곳, 첫 번째는 {row}행 \"{column}\"). 병합된 셀의 값을 그 셀이 덮는 모든 행에 채웠습니다. 금액·수량·기준 열의 병합된 셀은 채우지 않습니다."),
        Code("unit-converted", _W,
             "金额单位为万元，已按 1 万元 = 10000 元换算（{column}）。",
             "Money was in 万元 (10,000 yuan) and has been converted to yuan ({column}).",
             "금액 단위가 만 위안이어서 위안으로 환산했습니다({column})."),
        Code("totals-row-dropped", _W,
             "第 {row} 行是合计行，已核对并跳过。",
             "Row {row} is a totals row: checked and skipped.",
             "{row}행은 합계 행이라 확인 후 건너뛰었습니다."),
        Code("legacy-id-converted", _W,
             "{value} 个 15 位旧身份证号已转换为 18 位。",
             "{value} legacy 15-digit ID numbers were converted to 18 digits.",
             "15자리 옛 주민번호 {value}개를 18자리로 바꾸었습니다."),
        Code("unknown-column", _W,
             "无法识别的列“{value}”，已忽略。",
             "Column \"{value}\" is not recognised and was ignored.",
             "알 수 없는 열 \"{value}\"은(는) 무시했습니다."),
        Code("year-from-date", _W,
             "未提供年度，已按审批日期的年份填写。",
             "No year column: the year of the approved date was used.",
             "연도 열이 없어 승인일의 연도를 썼습니다."),
        Code("kind-guess", _W,
             "这个文件看起来是“{value}”表，而不是“{expected}”表。",
             "This file looks like a \"{value}\" sheet, not a \"{expected}\" sheet.",
             "이 파일은 \"{expected}\"이(가) 아니라 \"{value}\" 시트로 보입니다."),
    )
}


def lookup(code: str) -> Code:
    """The catalogue entry for a code (KeyError for an undeclared code: a programming error)."""
    return CATALOGUE[code]


def message(code: str, lang: str = "zh", **params: object) -> str:
    """The user-facing message for a code in a language."""
    return CATALOGUE[code].message(lang, **params)
