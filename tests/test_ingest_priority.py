"""`funds ingest` runs as a background job: lower CPU priority, so kiosks on the same box stay quick."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = "import os; from funds_cli.commands import yield_cpu; before = os.nice(0); yield_cpu(); print(before, os.nice(0))"


def _niceness(env_extra: dict[str, str]) -> tuple[int, int]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **env_extra}
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True)
    before, after = out.stdout.split()
    return int(before), int(after)


def test_ingest_gives_way_by_the_configured_step() -> None:
    before, after = _niceness({"FUNDS_INGEST_NICE": "7"})
    assert after == min(before + 7, 19)


def test_ingest_nice_zero_keeps_full_priority() -> None:
    before, after = _niceness({"FUNDS_INGEST_NICE": "0"})
    assert after == before
