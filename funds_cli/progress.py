"""A progress indicator for long files (rich), silent when output is for scripts or not a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def progress(label: str, quiet: bool = False) -> Iterator[None]:
    """Show a spinner with elapsed time while a file is checked and loaded."""
    if quiet or not sys.stderr.isatty():
        yield
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=True) as bar:
        bar.add_task(f"checking and loading {label}", total=None)
        yield
