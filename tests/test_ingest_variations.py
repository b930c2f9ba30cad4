"""Tolerated variations beyond the sample files: blank rows, 序号 columns, 万元 notes, encodings, big files."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from funds import db
from funds.idnumber import check_char
from pipelines.ingest import ingest_file, open_for_ingest

ROOT = Path(__file__).resolve().parent.parent
HEAD = "资金编码,年度,乡镇,村,姓名,身份证号,金额,审批日期,发放日期"


def pid(n: int) -> str:
    body = f"420102198001{n:05d}"
    return body + check_char(body)


def row(n: int, amount: str = "10.00", name: str | None = None) -> str:
    return f"F01,2007,城关镇,东村,{name or '张' + str(n)},{pid(n)},{amount},2007-03-05,2007-03-08"


def ingest(path: Path, file: Path, kind: str = "payments"):  # type: ignore[no-untyped-def]
    con, key = open_for_ingest(path)
    try:
        return ingest_file(con, key, kind, file, "t")
    finally:
        con.close()


def total(path: Path) -> Decimal:
    with db.reading(path) as con:
        return con.execute("select coalesce(sum(amount), 0) from payments").fetchall()[0][0]


def test_blank_rows_keep_row_numbers(catalogue_db: Path, tmp_path: Path) -> None:
    f = tmp_path / "blank.csv"
    f.write_text("\n".join([HEAD, row(1), "", ",,,,,,,,", row(2, amount="abc")]) + "\n", "utf-8")
    out = ingest(catalogue_db, f)
    assert out.status == "rejected" and out.report.flatten() == [[5, "amount", "bad-number"]]


def test_wan_title_note_and_spaced_totals_row_after_a_number_column(catalogue_db: Path, tmp_path: Path) -> None:
    f = tmp_path / "wan.csv"
    lines = ["2007年补贴发放表,,,,,,,,,", "金额单位：万元,,,,,,,,,", "序号," + HEAD,
             "1," + row(1, "0.0125"), "2," + row(2, "1.5"), ",合  计,,,,,,1.5125,,"]
    f.write_text("\n".join(lines) + "\n", "utf-8")
    out = ingest(catalogue_db, f)
    assert out.status == "loaded", out.report.flatten()
    codes = {i.code for i in out.report.warnings}
    assert {"unit-converted", "totals-row-dropped", "unknown-column"} <= codes
    assert total(catalogue_db) == Decimal("15125.00")


@pytest.mark.parametrize("encoding", ["gb18030", "utf-16", "utf-8-sig"])
def test_encodings_are_detected(catalogue_db: Path, tmp_path: Path, encoding: str) -> None:
    f = tmp_path / f"enc-{encoding}.csv"
    f.write_bytes(("\n".join([HEAD, row(1, name="欧阳娜娜"), row(2, name="𠮷野家")]) + "\n").encode(encoding))
    out = ingest(catalogue_db, f)
    assert out.status == "loaded", out.report.flatten()
    with db.reading(catalogue_db) as con:
        names = {r[0] for r in con.execute("select name from payments").fetchall()}
    assert names == {"欧阳娜娜", "𠮷野家"}


def test_apostrophe_and_spaces_around_ids(catalogue_db: Path, tmp_path: Path) -> None:
    f = tmp_path / "apos.csv"
    f.write_text("\n".join([HEAD, row(1).replace(pid(1), "'" + pid(1)), row(2).replace(pid(2), f"  {pid(2)} ")]) + "\n")
    assert ingest(catalogue_db, f).status == "loaded"


def test_fast_and_exact_csv_paths_agree(catalogue_db: Path, tmp_path: Path) -> None:
    """A big clean CSV takes Arrow's reader; the same rows with a blank line take the csv module."""
    rows = [row(n, amount=f"{n % 997 + 1}.{n % 100:02d}") for n in range(1, 3001)]
    bad = {17: "x", 2500: "-1"}
    for n, amount in bad.items():
        rows[n - 1] = row(n, amount=amount)
    fast = tmp_path / "fast.csv"
    fast.write_text("\n".join([HEAD, *rows]) + "\n", "utf-8")
    exact = tmp_path / "exact.csv"
    exact.write_text("\n".join([HEAD, *rows[:1000], "", *rows[1000:]]) + "\n", "utf-8")
    a, b = ingest(catalogue_db, fast), ingest(catalogue_db, exact)
    assert a.report.flatten() == [[18, "amount", "bad-number"], [2501, "amount", "non-positive-amount"]]
    assert b.report.flatten() == [[18, "amount", "bad-number"], [2502, "amount", "non-positive-amount"]]


@pytest.mark.parametrize("model_on_thread", [True, False], ids=["model-on-worker-thread", "model-inline"])
def test_every_problem_of_a_file_is_reported_at_once(catalogue_db: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch, model_on_thread: bool) -> None:
    """The same problems whether the model runs beside the checks against stored rows (most uploads) or inline (long ones)."""
    if not model_on_thread:
        monkeypatch.setattr("pipelines.validate.OVERLAP_ROWS", 0)
    f = tmp_path / "many.csv"
    f.write_text("\n".join([HEAD, row(1, amount="-1"), row(2).replace("F01", "F99"),
                            row(3).replace("2007-03-08", "2007-03-01"), row(4), row(5, name="长" * 41)]) + "\n")
    out = ingest(catalogue_db, f)
    assert out.report.flatten() == [[2, "amount", "non-positive-amount"], [3, "fund_code", "unknown-fund"],
                                    [4, "paid_date", "paid-before-approved"], [6, "name", "text-too-long"]]
    assert out.status == "rejected" and total(catalogue_db) == 0


def test_amount_mismatch_is_a_warning_and_loads(catalogue_db: Path, tmp_path: Path) -> None:
    f = tmp_path / "qr.csv"
    f.write_text("资金编码,年度,乡镇,村,姓名,身份证号,数量,补贴标准,金额,审批日期\n"
                 f"F01,2007,城关镇,东村,张一,{pid(1)},12.5,10,125.01,2007-03-05\n")
    out = ingest(catalogue_db, f)
    assert out.status == "loaded"
    assert [(w.row, w.code) for w in out.report.warnings] == [(2, "amount-mismatch")]


def test_legacy_ids_are_converted_and_said_so(catalogue_db: Path, tmp_path: Path) -> None:
    f = tmp_path / "legacy.csv"
    f.write_text("\n".join([HEAD, "F01,2007,城关镇,东村,陈一,420102500101011,10,2007-03-05,"]) + "\n")
    out = ingest(catalogue_db, f)
    assert out.status == "loaded"
    assert [(w.code, w.value) for w in out.report.warnings] == [("legacy-id-converted", "1")]


def test_header_cell_with_a_line_break_and_a_multiline_cell_keep_spreadsheet_rows(catalogue_db: Path,
                                                                                   tmp_path: Path) -> None:
    """Alt+Enter in Excel: a header cell "金额\\n(元)" is still the header, and a name cell split over two
    lines is one row, so the rows below keep the numbers the clerk sees in Excel or WPS."""
    head = HEAD.replace("金额", '"金额\n(元)"')
    lines = [head, row(1), row(2).replace("张2", '"张\n2"'), row(3, amount="x")]
    upload = tmp_path / "alt_enter.csv"
    upload.write_text("\n".join(lines) + "\n", "utf-8")
    outcome = ingest(catalogue_db, upload)
    assert [(i.row, i.column, i.code) for i in outcome.report.errors] == [(4, "amount", "bad-number")]
    upload.write_text("\n".join(lines[:3]) + "\n", "utf-8")
    outcome = ingest(catalogue_db, upload)
    assert outcome.status == "loaded"
    with db.reading(catalogue_db) as con:
        stored = con.execute("select row_no, name from payment_rows order by row_no").fetchall()
    assert stored == [(2, "张1"), (3, "张2")]


def test_a_year_too_big_to_store_is_a_row_problem(catalogue_db: Path, tmp_path: Path) -> None:
    """A transfer sheet's year beyond what the year column holds is reported on its row, like any bad year
    (it crashed the staging step once: the year is stored as SMALLINT)."""
    f = tmp_path / "transfers.csv"
    f.write_text("资金名称,年度,收款单位,拨付金额,审批日期\n粮食直补,99999,城关镇财政所,10,2007-03-05\n"
                 "粮食直补,,河口乡财政所,10,2007-03-05\n", encoding="utf-8")
    out = ingest(catalogue_db, f, "allocations")
    assert out.status == "rejected" and out.report.flatten() == [[2, "year", "bad-year"]]


def test_counts_stay_exact_when_the_list_is_capped(catalogue_db: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Problems found by the model and by the checks against stored rows are all counted, though only
    `max_errors` of them are listed."""
    monkeypatch.setenv("FUNDS_MAX_ERRORS", "2")
    f = tmp_path / "many.csv"
    f.write_text("\n".join([HEAD, *(row(n, amount="-1") for n in range(1, 4)),
                            *(row(n).replace("F01", "F99") for n in range(4, 7))]) + "\n")
    out = ingest(catalogue_db, f)
    assert out.status == "rejected" and out.report.error_count == 6 and len(out.report.errors) == 2
    assert {i.code for i in out.report.errors} == {"non-positive-amount"}  # the model's come first, as listed before
