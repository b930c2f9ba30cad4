"""The rows a check stages for loading, fingerprints included, are the same from one version to the next.

`row_hash` fingerprints each stored row; an upload is told "already loaded" (and a row "duplicate")
by comparing it with the fingerprints of rows loaded by earlier versions, so the staged rows of
each sample upload are pinned here, with a fixed key (the keyed ID hash is part of them). A
change to how rows are staged that changes a pinned digest would stop re-uploads of old files
being recognised: when such a change is meant, it needs a migration of the stored fingerprints
first, then new digests here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from pipelines import ingest, validate
from tests.conftest import SAMPLE

KEY = bytes(range(32))

NO_YEAR = (  # transfers naming funds without codes, no year column: the year comes from the approval date
    "资金名称,收款单位,乡镇,拨付金额,审批日期,拨付日期,文号\n"
    "粮食直补,城关镇财政所,城关镇,120000.50,2007-03-05,2007-03-08,财农[2007]12号\n"
    "高龄津贴,河口乡财政所,河口乡,80000,2007-04-05,,\n"
)

PINNED = {
    "funds_en.csv": ("funds", "ee5e77d5e6c9e44b"),
    "payments_en.tsv": ("payments", "7e1d5e822df0460e"),
    "payments_gbk.csv": ("payments", "c9bc1b03b03578dd"),
    "payments_ko.csv": ("payments", "ff6369b575ec0b92"),
    "payments_utf8_bom.csv": ("payments", "d46ec4e14774eb33"),
    "payments_title.xlsx": ("payments", "08d338fcb34d5405"),
    "allocations.xlsx": ("allocations", "84f5eeeb8980608b"),
    "projects_wan.xlsx": ("projects", "e7d0d8258a618c80"),
    "budgets_gbk.csv": ("budgets", "521cd24910029bd2"),
    "no_year.csv": ("allocations", "8993f8c5f7e728e1"),
}


def staged_digest(con: duckdb.DuckDBPyConnection, kind: str, path: Path) -> str:
    """Prepare and finish one upload, and digest its staged rows (every column, in row order)."""
    report, staged = validate.prepare(con, kind, path, KEY, validate.target(con, kind))
    assert staged, report.flatten()[:5]
    validate.finish(con, report, None, staged)
    assert report.valid, report.flatten()[:5]
    result = con.execute("select * from staged order by row_no")
    names, rows = [d[0] for d in result.description], result.fetchall()
    return hashlib.sha256(repr((names, rows)).encode("utf-8")).hexdigest()[:16]


@pytest.mark.parametrize("name", PINNED)
def test_staged_rows_do_not_change(name: str, catalogue_db: Path, tmp_path: Path) -> None:
    kind, digest = PINNED[name]
    path = SAMPLE / name
    if name == "no_year.csv":
        path = tmp_path / name
        path.write_text(NO_YEAR, encoding="utf-8")
    con = duckdb.connect(str(catalogue_db))
    try:
        assert staged_digest(con, kind, path) == digest
    finally:
        ingest._cleanup(con)
        con.close()
