"""Kiosk page response with concurrent sessions: streamlit AppTest sessions, one process each.

Each session (its own process: AppTest keeps global state and is not thread-safe) loads
app_pages/kiosk.py, types an ID number and a name and submits; the figure is the time of that
submit-and-rerun (the script run a browser waits for), all sessions released together. Each
process first makes one lookup unmeasured, as a serving Streamlit process (one process for
all sessions) has long since opened its snapshot and imported the page's modules; those cold
first lookups are reported apart. AppTest runs the page script without a websocket or browser,
so this is the server-side work of a page response under concurrency on 2 cores, not network
or paint.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from bench.stats import summary_ms

PAGE = str(Path(__file__).resolve().parent.parent / "app_pages" / "kiosk.py")


def _submit(at: Any, id_text: str, name: str) -> tuple[float, bool]:
    """Type an ID number and a name, submit; (seconds of the submit-and-rerun, whether a result showed)."""
    at.text_input(key="kiosk_id").input(id_text)
    at.text_input(key="kiosk_name").input(name)
    submit = at.button(key="kiosk_search")
    t = time.perf_counter()
    submit.click().run()
    elapsed = time.perf_counter() - t
    return elapsed, not at.exception and any("kiosk-total" in str(m.value) for m in at.markdown)


def worker(db_path: str, rounds: int, people_json: str) -> None:
    """One kiosk session in its own process: load the page, warm up, say ready, wait for go, look up `rounds` people.

    The warm-up lookup stands for what a serving Streamlit process has already done before
    these sessions arrive (its snapshot connection is open, the page's modules imported); it
    is timed and reported apart as the cold first lookup.
    """
    import json
    import sys

    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import AppTest, local_script_runner

    # A Streamlit server compiles a page once (one ScriptCache in its Runtime); AppTest makes a
    # new cache, so a new compile of the page, on every run. One cache per process, as the server.
    shared = ScriptCache()
    local_script_runner.ScriptCache = lambda: shared  # type: ignore[attr-defined]
    os.environ["FUNDS_DB"] = db_path
    people = json.loads(people_json)
    from funds import household, readers

    household.keep_warm()  # what app.py asks of the server, which AppTest of one page does not run
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    cold, _ = _submit(at, *people[-1])
    readers.wait_opened(Path(db_path))
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.run()
    print("ready", flush=True)
    sys.stdin.readline()
    times, errors = [], []
    for r in range(rounds):
        elapsed, shown = _submit(at, *people[r % len(people)])
        times.append(elapsed)
        if not shown:
            errors.append("no result shown")
        at = AppTest.from_file(PAGE, default_timeout=120)  # a fresh visitor
        at.run()
    print(json.dumps({"times": times, "errors": errors, "cold": cold}), flush=True)


def sessions(db_path: Path, people: list[tuple[str, str]], concurrent: int, rounds: int) -> dict[str, Any]:
    """`concurrent` AppTest sessions (one process each), each doing `rounds` lookups, released together."""
    import json
    import subprocess
    import sys

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent), "FUNDS_DB": str(db_path)}
    procs = []
    for i in range(concurrent):
        mine = [people[(i * rounds + r) % len(people)] for r in range(rounds)]
        procs.append(subprocess.Popen(
            [sys.executable, "-c", "import sys; from bench.kiosk_bench import worker; worker(*sys.argv[1:2], int(sys.argv[2]), sys.argv[3])",
             str(db_path), str(rounds), json.dumps(mine)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env))
    errors: list[str] = []
    for p in procs:
        line = p.stdout.readline() if p.stdout else ""
        if "ready" not in line:
            errors.append("a session did not start")
    t0 = time.perf_counter()
    for p in procs:
        if p.stdin:
            p.stdin.write("go\n")
            p.stdin.flush()
    times: list[float] = []
    cold: list[float] = []
    for p in procs:
        out, _ = p.communicate()
        try:
            rec = json.loads(out.strip().splitlines()[-1])
            times += rec["times"]
            errors += rec["errors"]
            cold.append(rec["cold"])
        except (ValueError, IndexError):
            errors.append("a session failed")
    return {"method": "streamlit.testing AppTest sessions, one OS process each (AppTest is not thread-safe), "
                      "each warmed by one lookup (as a serving process is), then released together; times are "
                      "submit-and-rerun of app_pages/kiosk.py (server-side work, no websocket or browser paint)",
            "cold_first_lookup": summary_ms(cold),
            "sessions": concurrent, "rounds": rounds, **summary_ms(times),
            "wall_seconds": round(time.perf_counter() - t0, 2), "errors": errors[:5], "error_count": len(errors)}
