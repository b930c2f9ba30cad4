"""How loads lie in the file: a lookup reads a row group per big batch, and one after `funds optimize`.

Each load is sorted by id_hash, so its row groups split the hash range; `funds optimize` sorts
the whole table into one run and leaves no deleted rows behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from conftest import ROOT, SAMPLE

from funds import compaction
from funds.idnumber import check_char
from pipelines.ingest import ingest_file, open_for_ingest

HEAD = "资金编码,年度,乡镇,村,姓名,身份证号,金额,审批日期,发放日期"
ROWS = 130_000  # more than one row group (122,880 rows): each batch ends with a part-filled one


def _roster(path: Path, first: int) -> Path:
    lines = [HEAD]
    for n in range(first, first + ROWS):
        body = f"4201021980{n:07d}"
        lines.append(f"F01,2007,城关镇,东村,张{n},{body + check_char(body)},10.00,2007-03-05,2007-03-08")
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


@contextmanager
def _main_file(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        yield con
    finally:
        con.close()


def test_lookups_read_a_row_group_per_big_batch_until_optimize(catalogue_db: Path, tmp_path: Path) -> None:
    con, key = open_for_ingest(catalogue_db)
    try:
        for i in range(3):
            assert ingest_file(con, key, "payments", _roster(tmp_path / f"p{i}.csv", i * ROWS), "t").status == "loaded"
    finally:
        con.close()
    with _main_file(catalogue_db) as con:
        assert (compaction.lookup_fan_out(con) or 0) >= 3  # one row group of each batch at least
    compaction.optimize(catalogue_db)
    with _main_file(catalogue_db) as con:
        assert compaction.lookup_fan_out(con) == 1
        physical = con.execute("select sum(count) from pragma_storage_info('payment_rows') "
                               "where column_name = 'batch_id' and segment_type <> 'VALIDITY'").fetchall()[0][0]
        assert physical == con.execute("select count(*) from payment_rows").fetchall()[0][0] == 3 * ROWS  # none deleted


def test_funds_ingest_advises_optimize_once_lookups_read_many_row_groups(catalogue_db: Path) -> None:
    """The threshold is FUNDS_OPTIMIZE_HINT_ROW_GROUPS; at 1, a single row group read is enough for the advice."""

    def cli(threshold: str, sample: str, *extra: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "FUNDS_OPTIMIZE_HINT_ROW_GROUPS": threshold, "FUNDS_INGEST_NICE": "0"}
        result = subprocess.run([sys.executable, "-m", "funds_cli", "--lang", "en", "ingest", "payments",
                                 str(SAMPLE / sample), "--db", str(catalogue_db), *extra],
                                capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
        return result

    out = json.loads(cli("8", "payments_utf8_bom.csv", "--json").stdout)
    assert out["lookup_row_groups"] == 1 and "advice" not in out  # a small county: nothing to advise
    advised = cli("1", "payments_gbk.csv").stdout
    assert "lookup now reads 1 row groups" in advised and "Run `funds optimize`" in advised, advised


def test_a_small_load_leaves_the_writer_writing_big_appends_ahead(catalogue_db: Path) -> None:
    """A batch under two row groups is kept in memory until its checkpoint (pipelines/load.py);
    the connection must come back writing big appends ahead, or a 5M-row load would sit in memory."""
    con, key = open_for_ingest(catalogue_db)
    try:
        assert ingest_file(con, key, "payments", SAMPLE / "payments_utf8_bom.csv", "t").status == "loaded"
        assert con.execute("select current_setting('enable_optimistic_write')").fetchall()[0][0] is True
    finally:
        con.close()


def test_a_small_county_whose_hashes_miss_every_fixed_probe_still_reads_one_row_group() -> None:
    """The key is random per database, so a few households' hashes can all lie in one quarter of the
    hash range, away from the three fixed probes: the count must still be 1, not unknown (CI once
    printed no `lookup_row_groups` for the sample roster)."""
    con = duckdb.connect()
    try:
        for low in (5, (1 << 127) + 5):  # below the first probe; between the second and the third
            con.execute("create or replace table payment_rows as "
                        "select ($low + range)::uhugeint as id_hash, range as row_no from range(4)", {"low": low})
            assert compaction.lookup_fan_out(con) == 1
        con.execute("create or replace table payment_rows (id_hash uhugeint, row_no bigint)")
        assert compaction.lookup_fan_out(con) is None  # no payments, nothing a lookup reads
    finally:
        con.close()
