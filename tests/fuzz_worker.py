"""A separate process that ingests hostile uploads one by one and reports each outcome as a JSON line.

Run by tests/test_fuzz_uploads.py: a crash (even a segfault in a native reader) kills only
this process, and the test sees which case did it. Input lines: `kind<TAB>path<TAB>name`.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def _reset_peak() -> None:
    """Reset this process's peak resident size, so each case's peak is its own (Linux)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _peak_mb() -> int:
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0


def main() -> None:
    """Open the database given as argv[1], then ingest each file named on stdin."""
    import pipelines.model_check  # noqa: F401 - pandas + pandera, imported before the timed cases (as a serving app has)
    from pipelines.ingest import ingest_file, open_for_ingest

    con, key = open_for_ingest(Path(sys.argv[1]))
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        kind, path, name = line.rstrip("\n").split("\t")
        _reset_peak()
        started = time.perf_counter()
        try:
            outcome = ingest_file(con, key, kind, Path(path), "fuzz", original_name=name)
            result = {"status": outcome.status,
                      "messages": [i.message("en", outcome.report.kind) for i in outcome.report.errors[:3]],
                      "codes": [i.code for i in outcome.report.errors[:3]]}
        except Exception as exc:  # what the CLI's handler would turn into "unexpected error"
            result = {"status": "exception", "messages": [f"{type(exc).__name__}: {str(exc)[:300]}"], "codes": []}
        result["seconds"] = round(time.perf_counter() - started, 3)
        result["maxrss_mb"] = _peak_mb()
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
