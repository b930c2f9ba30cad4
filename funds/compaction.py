"""`funds optimize`: rewrite payment_rows in id_hash order so each kiosk lookup reads one row group."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from funds import db, money


def optimize(path: Path) -> dict[str, Any]:
    """Sort payment_rows by id_hash in one transaction under the writer lock, then publish a snapshot.

    Ingest sorts each batch by itself, so a lookup touches one row group per batch; after this it
    touches one in all. Rows, batches and every result stay the same (checked before commit);
    superseded batches are kept, being history. Waits for a running ingest like any writer.
    """
    if not path.exists():
        db.connect(path, read_only=True)  # raises NotInitialised with what to do
    started = time.monotonic()
    with db.writing(path) as con:
        con.execute("begin transaction")
        try:
            before = db.fetch_dicts(con, "payment_rows_summary")[0]
            con.execute(db.query_text("sort_payment_rows"))
            after = db.fetch_dicts(con, "payment_rows_summary")[0]
            if after != before:
                raise RuntimeError(f"payment_rows changed while sorting ({before} != {after})")
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    return {"payment_rows": after["rows"], "live_rows": after["live_rows"],
            "superseded_rows": after["superseded_rows"], "amount_yuan": money.to_str(after["amount"]),
            "seconds": round(time.monotonic() - started, 2), "file_bytes": path.stat().st_size}
