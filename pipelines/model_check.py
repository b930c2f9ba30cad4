"""The pandera side of a check: each kind's declared model run over the body's Arrow chunks.

Kept apart from pipelines/validate.py (the DuckDB side) because importing pandas and pandera
takes ~0.8 s: `validate.prepare` starts that import on a thread (`preload`) while DuckDB, which
releases the GIL, reads and normalises the file, so a one-shot `funds ingest` does not wait
for it first. A long-running app has it imported already.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable

import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow

from pipelines.report import Issue, safe_value
from schemas.columns import DECIMAL, MONEY, Kind
from schemas.models import CHECK_COLUMN, MODELS

_PANDAS_TYPES = {pa_arrow.string(): pd.StringDtype(), pa_arrow.large_string(): pd.StringDtype(),
                 pa_arrow.int64(): pd.Int64Dtype()}


def _register_backends() -> None:
    """Have pandera register its pandas backends now, as this module is imported (on `preload`'s
    thread, beside DuckDB's read), not in the first chunk's `validate`, which `finish` waits for.

    Registering imports pandera's data-synthesis strategies, and they import hypothesis whenever it
    is installed (it is, for our tests): ~0.2 s of CPU a one-shot `funds ingest` never uses, so
    hypothesis is kept out unless something imported it already. Validation does not use it.
    """
    keep_out = "hypothesis" not in sys.modules
    if keep_out:
        sys.modules["hypothesis"] = None  # type: ignore[assignment]  # import hypothesis: ModuleNotFoundError
    try:
        pa.DataFrameSchema().validate(pd.DataFrame())
    finally:
        if keep_out and sys.modules.get("hypothesis", False) is None:
            del sys.modules["hypothesis"]


_register_backends()


def _frame(batch: pa_arrow.Table) -> pd.DataFrame:
    """One chunk as pandas (Arrow-backed strings: no Python object per cell)."""
    df = batch.to_pandas(types_mapper=_PANDAS_TYPES.get)
    return df.set_index("_row")  # the one place a frame index becomes a spreadsheet row number


class ModelCheck:
    """The pandera model over the body's frames, collecting issues (on a worker thread or inline)."""

    def __init__(self, kind: Kind, already: set[tuple[int, str]]) -> None:
        self.kind, self.already = kind, already
        self.issues: list[Issue] = []
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self, batches: list[pa_arrow.Table]) -> None:
        """Check these chunks on a worker thread; join() waits for it."""
        def work() -> None:
            try:
                self.run(batches)
            except BaseException as exc:  # re-raised on the caller's thread by join()
                self._error = exc
        self._thread = threading.Thread(target=work, name="funds-model-check", daemon=True)
        self._thread.start()

    def join(self) -> None:
        """Wait for the worker thread; its exception, if any, is raised here."""
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error

    def run(self, batches: Iterable[pa_arrow.Table]) -> None:
        """Validate each chunk with the kind's model and note what fails, in row order per chunk."""
        model = MODELS[self.kind.name]
        reported: set[tuple[int, str, str]] = set()
        for batch in batches:
            df = _frame(batch)
            try:
                model.validate(df, lazy=True)
                continue
            except pa.errors.SchemaErrors as exc:
                failures = exc.failure_cases
            found = []
            for rec in failures.itertuples(index=False):
                check_name = str(rec.check)
                code = "missing-value" if check_name == "not_nullable" else check_name.split(":")[0]
                column = CHECK_COLUMN.get(code, rec.column) if rec.schema_context == "DataFrameSchema" else rec.column
                if code not in ("missing-value",) and ":" not in check_name:
                    continue  # dtype and other structural failures are folded into the parse problems
                row = int(rec.index) if pd.notna(rec.index) else None
                if row is None or (row, column) in self.already or (row, column, code) in reported:
                    continue  # a value that failed to parse also fails the model: report it once
                reported.add((row, column, code))
                found.append((row, column, code))
            self.issues += [_model_issue(df, self.kind, code, row, column) for row, column, code in sorted(found)]


def _model_issue(df: pd.DataFrame, kind: Kind, code: str, row: int, column: str) -> Issue:
    rec = df.loc[row]
    value: object = rec[column] if column in df.columns else None
    expected = ""
    if code == "paid-before-approved":
        value, expected = _day(rec["paid_date"]), _day(rec["approved_date"])
    elif code == "paid-exceeds-amount":
        value, expected = _yuan(rec["paid_amount"]), _yuan(rec["amount"])
    elif code == "text-too-long":
        value, expected = len(str(value)), 40
    elif column in kind.names and kind.column(column).type == MONEY and pd.notna(value):
        value = _yuan(value)
    elif column in kind.names and kind.column(column).type == DECIMAL and pd.notna(value):
        value = f"{int(value) / 10000:g}"
    shown = None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    return Issue(code, row=row, column=column, value=safe_value(column, kind.name, shown),
                 params=(("expected", str(expected)),))


def _day(v: object) -> str:
    return pd.Timestamp(v).date().isoformat() if pd.notna(v) else ""


def _yuan(fen: object) -> str:
    f = int(fen)  # type: ignore[call-overload]
    sign = "-" if f < 0 else ""
    return f"{sign}{abs(f) // 100}.{abs(f) % 100:02d}"
