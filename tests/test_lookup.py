"""A kiosk lookup answers for exactly one person: the exact ID hash, live batches only.

Each test runs twice: on rows as loaded (the lookup reads ten columns) and after `funds optimize`
(it reads the packed lookup_row instead); the answers must be the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from funds import compaction, db, household, readers
from funds.errors import UsageError

ROW = """
    insert into payment_rows (batch_id, row_no, year, fund_code, township, village, name, id_hash, id_masked,
                              amount, approved_date, paid_date, row_hash)
    values ($batch, $row, 2007, 'H01', $township, '东村', '张三', $id_hash::uhugeint, '110101********0011',
            $amount, date '2007-03-01', $paid, $row)
"""


Reading = Callable[[Path], AbstractContextManager[duckdb.DuckDBPyConnection]]


@pytest.fixture(params=["as loaded", "optimized"])
def reading(request: pytest.FixtureRequest) -> Reading:
    """`db.reading` as the kiosk reads (a reused cursor, on the lookups' instance), after `funds optimize`
    in the second run; checks which read path a lookup takes."""

    @contextmanager
    def read(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
        if request.param == "optimized":
            compaction.optimize(path)
        with db.reading(path, reuse=True) as con:
            assert household._packed(con) == (request.param == "optimized")
            yield con

    return read


def _row(batch: int, row: int, id_hash: int, amount: str, township: str = "城关镇",
         paid: dt.date | None = dt.date(2007, 3, 9)) -> dict[str, object]:
    return {"batch": batch, "row": row, "id_hash": str(id_hash), "amount": Decimal(amount), "township": township,
            "paid": paid}


BATCH = """
    insert into batches (batch_id, kind, file_name, sha256, user_name, loaded_at, rows, warnings, status)
    values ($batch, 'payments', 'p.csv', 'ab', 'u', now()::timestamp, 1, 0, $status)
"""


def test_a_neighbouring_id_hash_is_someone_else(fresh_db: Path, reading: Reading) -> None:
    """Hashes below 2^127 that differ in their last bits (equal as DOUBLE) are two people."""
    mine = 2**100 + 12345
    with db.writing(fresh_db) as con:
        con.execute(BATCH, {"batch": 1, "status": "loaded"})
        for row, (id_hash, amount) in enumerate([(mine, "100.00"), (mine + 1000, "900.00")], start=2):
            con.execute(ROW, _row(1, row, id_hash, amount))
    with reading(fresh_db) as con:
        result = household.lookup_hash(con, mine, "张三")
    assert (result["count"], result["total_yuan"]) == (1, "100.00")


def test_a_lookup_reads_on_one_thread_only_where_it_reads_one_row_group(
        fresh_db: Path, reading: Reading, request: pytest.FixtureRequest) -> None:
    """After `funds optimize` a lookup reads one row group, and a second thread would only be woken for
    nothing: the kiosk's instance runs one. Rows as loaded are read a row group per batch, on every
    thread DuckDB gives an instance. The answer is the same either way (the other tests)."""
    every = duckdb.connect(":memory:").execute("select current_setting('threads')").fetchall()
    with db.writing(fresh_db) as con:
        con.execute(BATCH, {"batch": 1, "status": "loaded"})
        con.execute(ROW, _row(1, 2, 2**90, "10.00"))
    with reading(fresh_db) as con:
        threads = con.execute("select current_setting('threads')").fetchall()
        assert household.lookup_hash(con, 2**90, "张三")["total_yuan"] == "10.00"
    assert threads == ([(1,)] if request.node.callspec.params["reading"] == "optimized" else every)


def test_superseded_rows_neither_show_nor_verify_a_name(fresh_db: Path, reading: Reading) -> None:
    """A corrected batch replaces the old one: its rows are not shown, and its names do not unlock others."""
    person = 2**127 + 99
    with db.writing(fresh_db) as con:
        con.execute(BATCH, {"batch": 1, "status": "superseded"})
        con.execute(BATCH, {"batch": 2, "status": "loaded"})
        con.execute(ROW, _row(1, 2, person, "120.00"))
        con.execute(ROW, _row(2, 2, person, "150.00"))
        con.execute("update payment_rows set name = '李四' where batch_id = 1")
    with reading(fresh_db) as con:
        found = household.lookup_hash(con, person, "张三")
        old_name = household.lookup_hash(con, person, "李四")
    assert (found["count"], found["total_yuan"]) == (1, "150.00")
    assert old_name == household.empty()


def test_every_shown_value_comes_back_exactly(fresh_db: Path, reading: Reading) -> None:
    """Text with JSON's special characters, cents, an unpaid payment: shown alike on either read path."""
    person = 2**126 + 7
    odd = '城"关\\镇/\t\u3000한'
    with db.writing(fresh_db) as con:
        con.execute(BATCH, {"batch": 1, "status": "loaded"})
        con.execute(ROW, _row(1, 3, person, "1234567.89", township=odd))
        con.execute(ROW, _row(1, 2, person, "0.01", paid=None))
    with reading(fresh_db) as con:
        result = household.lookup_hash(con, person, "张三", dt.date(2007, 3, 31))
    assert result["total_yuan"] == "1234567.90"
    assert [(p["township"], p["amount_yuan"], p["paid_date"], p["waiting_days"])
            for p in result["payments"]] == [("城关镇", "0.01", None, 30), (odd, "1234567.89", "2007-03-09", None)]


def test_a_snapshot_from_before_the_packed_column_reads_the_ten_columns(fresh_db: Path) -> None:
    """A database published by a version before migration 0005 has no lookup_row: lookups still answer."""
    person = 2**90 + 5
    with db.writing(fresh_db) as con:
        con.execute(BATCH, {"batch": 1, "status": "loaded"})
        con.execute(ROW, _row(1, 2, person, "88.00"))
        con.execute("create or replace view payments as select * exclude (row_hash) from payment_rows")
        con.execute("alter table payment_rows drop column lookup_row")
    with db.reading(fresh_db) as con:
        assert not household._packed(con)
        result = household.lookup_hash(con, person, "张三")
    assert (result["count"], result["total_yuan"]) == (1, "88.00")


def test_a_database_from_before_0006_keeps_every_row_and_answers_after_the_upgrade(tmp_path: Path) -> None:
    """Migration 0006 rewrites payment_rows with id_hash uncompressed: every row in its order (an
    optimized table stays sorted and packed), the payments view still reads it, lookups answer."""
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))  # a database as the version before 0006 left it, after `funds optimize`
    con.execute("create table schema_version (version integer primary key, applied_at timestamp)")
    for version, sql in db.migrations():
        if version <= 5:
            con.execute(sql)
            con.execute("insert into schema_version values ($v, now())", {"v": version})
    con.execute(BATCH, {"batch": 1, "status": "loaded"})
    people = [7, 2**64 + 1, 2**127 + 3]
    for n, person in enumerate(sorted(people * 3)):  # in id_hash order, spreadsheet rows shuffled
        con.execute(ROW, _row(1, n * 5 % 9 + 2, person, f"{n + 1}.05"))
    con.execute("update payment_rows set lookup_row = lookup_row(batch_id, row_no, year, fund_code, township, "
                "village, amount, approved_date, paid_date, name)")
    before = con.execute("select * from payment_rows").fetchall()
    assert "USING COMPRESSION" not in con.execute(
        "select sql from duckdb_tables() where table_name = 'payment_rows'").fetchall()[0][0]
    con.close()

    db.initialise(path)  # what any writer does first: migrate, then publish

    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("select max(version) from schema_version").fetchall() == [(6,)]
    assert con.execute("select * from payment_rows").fetchall() == before  # every row, in its order
    assert con.execute("select distinct compression from pragma_storage_info('payment_rows') "
                       "where column_name = 'id_hash' and segment_type = 'UHUGEINT'").fetchall() == [("Uncompressed",)]
    assert con.execute("select count(*), sum(amount) from payments").fetchall() == [(9, Decimal("45.45"))]
    con.close()
    with db.reading(path) as con:
        assert household._packed(con)
        result = household.lookup_hash(con, 2**127 + 3, "张三")
    assert (result["count"], result["total_yuan"]) == (3, "24.15")  # the last three rows: 7.05 + 8.05 + 9.05


def _block_bytes(con: duckdb.DuckDBPyConnection) -> int:
    """Bytes of table blocks the snapshot's DuckDB instance holds in memory."""
    rows = con.execute("select memory_usage_bytes from duckdb_memory() where tag = 'BASE_TABLE'").fetchall()
    return int(rows[0][0]) if rows else 0


def test_a_warm_server_has_read_the_lookup_columns_before_the_first_lookup(
        fresh_db: Path, reading: Reading, monkeypatch: pytest.MonkeyPatch) -> None:
    """With `keep_warm` (the app asks for it) a snapshot's lookup columns, live batches and fund names are
    in memory once it has opened, so no kiosk lookup waits for the disk. FUNDS_KIOSK_WARM_MB=0 leaves
    all of it to the lookups; a budget the columns do not fit in reads the small facts only. The
    answers are the same every way."""
    person = 2**125 + 3
    with db.writing(fresh_db) as con:
        con.execute(BATCH, {"batch": 1, "status": "loaded"})
        con.execute(ROW, _row(1, 2, person, "66.00"))
        con.execute("""
            insert into payment_rows (batch_id, row_no, year, fund_code, township, village, name, id_hash, id_masked,
                                      amount, approved_date, paid_date, row_hash)
            select 1, i + 3, 2007, 'H01', '城关镇', '东村', '王五', (i * 7919)::uhugeint, '110101********0011',
                   10.00, date '2007-03-01', date '2007-03-09', i + 3
            from range(200000) t(i)""")
    found = {}
    for budget in ("0", "1", "auto"):
        monkeypatch.setenv("FUNDS_KIOSK_WARM_MB", budget)
        readers.clear()
        household.keep_warm()
        with reading(fresh_db) as con:
            assert readers.wait_opened(fresh_db, 60)
            memo = readers.memo(con)
            assert memo is not None
            facts = {k for k in memo if k != "packed"}
            found[budget] = (_block_bytes(con), facts, household.lookup_hash(con, person, "张三"))
    (off, off_facts, off_answer), (small, small_facts, small_answer), (warm, warm_facts, warm_answer) = found.values()
    assert off_facts == set() and small_facts == warm_facts == {("list_live_batches", ("batch_id",)),
                                                                ("list_fund_names", ("year", "fund_code"))}
    assert warm > max(off, small) + 2 * 1024 * 1024  # 200,000 id_hashes alone are 3.2 MB
    assert off_answer == small_answer == warm_answer and warm_answer["total_yuan"] == "66.00"


def test_the_lookups_instance_holds_no_more_than_the_warm_up_budget_and_a_margin(
        fresh_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kiosk lookups read on an instance of their own; it is bounded by FUNDS_KIOSK_WARM_MB (what the
    lookup columns may take) and a margin, not by DuckDB's default of 80% of the machine beside the
    auditors' instance, and it would spill beside the snapshot, never into the working folder."""
    monkeypatch.setenv("FUNDS_KIOSK_WARM_MB", "64")
    readers.clear()
    with db.reading(fresh_db, reuse=True) as kiosk:
        limit, temp = kiosk.execute("select current_setting('memory_limit'), current_setting('temp_directory')"
                                    ).fetchall()[0]
        snap = db.path_of(kiosk)
    with db.reading(fresh_db) as auditor:
        other = auditor.execute("select current_setting('memory_limit')").fetchall()[0][0]
    assert limit == f"{64 + household.LOOKUP_MARGIN_MB}.0 MiB" != other
    assert temp == f"{snap}.tmp"


def test_a_warm_up_budget_that_is_not_a_size_says_how_to_write_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNDS_KIOSK_WARM_MB", "4G")
    with pytest.raises(UsageError) as exc:
        household.keep_warm()
    assert "4096" in exc.value.message("zh") and "auto" in exc.value.message("ko")
