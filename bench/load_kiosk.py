"""Load test: N concurrent kiosk sessions for S seconds against a large database, over loopback HTTP.

A small HTTP server bound to 127.0.0.1 answers each request the way the kiosk page does
(`db.reading` → `household.lookup` with the deployment's key); N client threads each act as
one kiosk, looking up a known household (ID + name) or, one time in five, an unknown one,
back to back. Prints the latency distribution and errors as JSON.

    python bench/load_kiosk.py --build 2700000 --db /tmp/kiosk10m/funds.duckdb   # ~10M payment rows
    python bench/load_kiosk.py --db /tmp/kiosk10m/funds.duckdb --sessions 50 --seconds 60
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from funds import db, household, keys, settings  # noqa: E402

MAX_SECONDS = 600  # the test is bounded whatever is asked


def build(path: Path, households: int) -> None:
    """Generate and load a demo county; keep a sample of (ID, name) pairs for the clients."""
    from pipelines import demo
    from pipelines.ingest import ingest_file, open_for_ingest

    work = path.parent / "bench-files"
    files = demo.write_files(work, households=households, seed=17)
    sample = []
    with open(files.payments[0], encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        id_col, name_col = header.index("身份证号"), header.index("姓名")
        for i, row in enumerate(reader):
            if i % 97 == 0:
                sample.append((row[id_col], row[name_col]))
            if len(sample) >= 2000:
                break
    (path.parent / "bench-people.json").write_text(json.dumps(sample, ensure_ascii=False))
    con, key = open_for_ingest(path)
    try:
        plan = [("funds", files.funds), *[("payments", p) for p in files.payments]]
        for kind, file in plan:
            started = time.perf_counter()
            outcome = ingest_file(con, key, kind, file, "bench")
            print(f"{kind} {file.name}: {outcome.status} {outcome.report.rows} rows "
                  f"in {time.perf_counter() - started:.1f}s", flush=True)
    finally:
        con.close()
    for file in work.iterdir():
        file.unlink()
    work.rmdir()


def serve(path: Path) -> ThreadingHTTPServer:
    """The loopback server: GET /lookup?id=..&name=.. → the kiosk's JSON answer."""
    key = keys.load(settings.secret_path(path))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            try:
                with db.reading(path) as con:
                    result = household.lookup(con, key, query["id"][0], query["name"][0])
                body, status = json.dumps({"found": result["found"], "count": result["count"]}).encode(), 200
            except Exception as exc:
                body, status = json.dumps({"error": type(exc).__name__}).encode(), 500
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # keep IDs out of any log
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run(path: Path, sessions: int, seconds: float) -> dict:
    """Drive the server with `sessions` kiosks for `seconds`; returns the figures."""
    seconds = min(seconds, MAX_SECONDS)
    people = [tuple(p) for p in json.loads((path.parent / "bench-people.json").read_text())]
    server = serve(path)
    base = f"http://127.0.0.1:{server.server_address[1]}/lookup"
    latencies: list[float] = []
    errors: list[str] = []
    found = [0, 0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def kiosk(seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            pid, name = rng.choice(people)
            if rng.random() < 0.2:
                name = name + "甲"  # a wrong name answers like an unknown ID
            url = base + "?" + urllib.parse.urlencode({"id": pid, "name": name})
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(url, timeout=30) as resp:
                    answer = json.loads(resp.read())
                ms = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(ms)
                    found[0 if answer["found"] else 1] += 1
            except Exception as exc:
                with lock:
                    errors.append(type(exc).__name__)

    threads = [threading.Thread(target=kiosk, args=(i,)) for i in range(sessions)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    server.shutdown()
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    with db.reading(path) as con:
        rows = con.execute("select count(*) from payments").fetchall()[0][0]
    return {
        "payment_rows": rows, "sessions": sessions, "seconds": round(elapsed, 1),
        "lookups": len(latencies), "per_second": round(len(latencies) / elapsed, 1),
        "found": found[0], "not_found": found[1], "errors": len(errors), "error_kinds": sorted(set(errors)),
        "latency_ms": {"p50": round(q[49], 1), "p90": round(q[89], 1), "p99": round(q[98], 1),
                       "max": round(max(latencies, default=0.0), 1),
                       "mean": round(statistics.fmean(latencies), 1) if latencies else 0.0},
    }


def main() -> None:
    """Parse arguments; build the database if asked, then run the load."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", type=Path, required=True)
    p.add_argument("--build", type=int, metavar="HOUSEHOLDS", help="first generate and load a demo county")
    p.add_argument("--sessions", type=int, default=50)
    p.add_argument("--seconds", type=float, default=60)
    args = p.parse_args()
    if args.build:
        build(args.db, args.build)
        return
    print(json.dumps(run(args.db, args.sessions, args.seconds), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
