"""Any result table (column names + rows) as CSV, XLSX or Parquet bytes; CSV/XLSX never run a formula."""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from funds import exports

FORMATS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "parquet": "application/vnd.apache.parquet"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        return str(value)  # UHUGEINT hashes do not fit Parquet's int64
    return value


def to_bytes(fmt: str, columns: list[str], rows: list[Any], sheet: str = "data") -> bytes:
    """Rows (tuples or dicts) in one of FORMATS; money stays Decimal (Parquet decimal128)."""
    dicts = [r if isinstance(r, dict) else dict(zip(columns, r, strict=False)) for r in rows]
    if fmt == "csv":
        return exports.to_csv(dicts, [(c, c) for c in columns])
    if fmt == "xlsx":
        return exports.to_xlsx(dicts, [(c, c) for c in columns], sheet)
    if fmt == "parquet":
        table = pa.Table.from_pylist([{c: _jsonable(d.get(c)) for c in columns} for d in dicts]) if dicts else \
            pa.table({c: pa.array([], pa.string()) for c in columns})
        buf = io.BytesIO()
        pq.write_table(table, buf)
        return buf.getvalue()
    raise ValueError(fmt)
