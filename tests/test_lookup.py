"""A kiosk lookup answers for exactly one person: the exact ID hash, live batches only."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from funds import db, household

ROW = """
    insert into payment_rows (batch_id, row_no, year, fund_code, township, village, name, id_hash, id_masked,
                              amount, approved_date, row_hash)
    values ($batch, $row, 2007, 'H01', '城关镇', '东村', '张三', $id_hash::uhugeint, '110101********0011',
            $amount, date '2007-03-01', $row)
"""
BATCH = """
    insert into batches (batch_id, kind, file_name, sha256, user_name, loaded_at, rows, warnings, status)
    values ($batch, 'payments', 'p.csv', 'ab', 'u', now()::timestamp, 1, 0, $status)
"""


def test_a_neighbouring_id_hash_is_someone_else(fresh_db: Path) -> None:
    """Hashes below 2^127 that differ in their last bits (equal as DOUBLE) are two people."""
    mine = 2**100 + 12345
    with db.writing(fresh_db) as con:
        con.execute(BATCH, {"batch": 1, "status": "loaded"})
        for row, (id_hash, amount) in enumerate([(mine, "100.00"), (mine + 1000, "900.00")], start=2):
            con.execute(ROW, {"batch": 1, "row": row, "id_hash": str(id_hash), "amount": Decimal(amount)})
    with db.reading(fresh_db) as con:
        result = household.lookup_hash(con, mine, "张三")
    assert (result["count"], result["total_yuan"]) == (1, "100.00")


def test_superseded_rows_neither_show_nor_verify_a_name(fresh_db: Path) -> None:
    """A corrected batch replaces the old one: its rows are not shown, and its names do not unlock others."""
    person = 2**127 + 99
    with db.writing(fresh_db) as con:
        con.execute(BATCH, {"batch": 1, "status": "superseded"})
        con.execute(BATCH, {"batch": 2, "status": "loaded"})
        con.execute(ROW, {"batch": 1, "row": 2, "id_hash": str(person), "amount": Decimal("120.00")})
        con.execute(ROW, {"batch": 2, "row": 2, "id_hash": str(person), "amount": Decimal("150.00")})
        con.execute("update payment_rows set name = '李四' where batch_id = 1")
    with db.reading(fresh_db) as con:
        found = household.lookup_hash(con, person, "张三")
        old_name = household.lookup_hash(con, person, "李四")
    assert (found["count"], found["total_yuan"]) == (1, "150.00")
    assert old_name == household.empty()
