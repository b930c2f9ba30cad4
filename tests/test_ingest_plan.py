"""Which files a run takes (`ingest.spreadsheets`) and the kinds it tells from their headers (`ingest.plan`)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import SAMPLE

from funds.errors import UsageError
from pipelines.ingest import plan, spreadsheets


def test_a_folder_gives_its_spreadsheets_once_each(tmp_path: Path) -> None:
    folder = tmp_path / "2007"
    (folder / "乡镇A").mkdir(parents=True)
    for name in ("b.csv", "A.XLSX", "c.xls", "e.tsv", "说明.txt", "批复.docx", ".hidden.csv", "~$A.XLSX", "乡镇A/d.csv"):
        (folder / name).write_bytes(b"x")
    got = spreadsheets([folder, folder / "b.csv", tmp_path / "2007" / ".." / "2007" / "c.xls"])
    assert [p.name for p in got] == ["A.XLSX", "b.csv", "c.xls", "e.tsv"]  # notes, hidden, lock files, subfolders left out


def test_missing_paths_and_empty_folders_are_usage_errors(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("x")
    with pytest.raises(UsageError) as missing:
        spreadsheets([tmp_path / "nope.csv", tmp_path / "empty"])
    assert "nope.csv" in missing.value.message("en") and "File not found" in missing.value.message("en")
    with pytest.raises(UsageError) as empty:
        spreadsheets([tmp_path / "empty"])
    assert "No spreadsheet" in empty.value.message("en") and "没有表格文件" in empty.value.message("zh")


def test_a_file_name_that_is_not_text_is_refused_before_anything_is_read(tmp_path: Path) -> None:
    """A GBK-named file unpacked on Linux: its name could not be recorded with its batch."""
    name = os.fsdecode("补贴".encode("gbk") + b".csv")
    shutil.copy(SAMPLE / "funds.csv", tmp_path / name)
    with pytest.raises(UsageError) as refused:
        spreadsheets([tmp_path])
    text = refused.value.message("en")
    assert "rename" in text and "\\xb2\\xb9" in text  # the bytes shown, not a broken character


def test_plan_orders_kinds_and_names_an_empty_file(tmp_path: Path) -> None:
    got = plan([SAMPLE / "people_flags.csv", SAMPLE / "payments_gbk.csv", SAMPLE / "funds.csv",
                SAMPLE / "projects_wan.xlsx", SAMPLE / "payments_ko.csv"])
    assert [(k, [p.name for p in ps]) for k, ps in got] == [
        ("funds", ["funds.csv"]), ("payments", ["payments_gbk.csv", "payments_ko.csv"]),
        ("projects", ["projects_wan.xlsx"]), ("people_flags", ["people_flags.csv"])]
    blank = tmp_path / "blank.csv"
    blank.write_bytes("  \r\n".encode("utf-16"))  # UTF-16 (with its BOM), nothing but whitespace
    with pytest.raises(UsageError) as refused:
        plan([SAMPLE / "funds.csv", blank])
    assert "blank.csv" in refused.value.message("en") and "empty" in refused.value.message("en").lower()


def test_every_sample_sheet_in_the_folder_is_taken_and_told() -> None:
    """sample_data/ holds one sheet of each kind and format the contract names (a .tsv among them)."""
    sheets = {p.name for p in SAMPLE.iterdir() if p.is_file() and p.suffix != ".py"}
    groups = plan(spreadsheets([SAMPLE]))
    assert {p.name for _, paths in groups for p in paths} == sheets
    assert [kind for kind, _ in groups] == ["funds", "payments", "allocations", "projects", "budgets", "people_flags"]
