"""Query figures: kiosk lookups (sorted vs full scan), lag buckets, reconciliation, lookups during an ingest."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from bench import data
from bench.stats import summary_ms
from funds import db, household, keys, readers, settings

TODAY = dt.date(2020, 1, 1)  # fixed, so waiting days do not change between runs

LAG_BUCKETS = """
with source as (
    select fund_code, township, date_diff('day', approved_date, paid_date) as lag_days  -- calendar days
    from payments where paid_date is not null
),
final as (
    select fund_code, township,
        count(*) filter (where lag_days <= 3) as "0-3",
        count(*) filter (where lag_days between 4 and 10) as "4-10",
        count(*) filter (where lag_days >= 11) as "11+"
    from source group by fund_code, township
)
select * from final order by fund_code, township
"""

RECONCILE = """
with paid as (select year, fund_code, sum(amount) as paid_yuan, count(*) as n from payments group by all),
catalogue as (select distinct year, fund_code from funds),
final as (
    select c.year, c.fund_code, coalesce(p.paid_yuan, 0) as paid_yuan, coalesce(p.n, 0) as n
    from catalogue c left join paid p using (year, fund_code)
)
select * from final order by year, fund_code
"""


def sample_people(con: duckdb.DuckDBPyConnection, n: int, seed: int = 5) -> list[tuple[int, str]]:
    """n (id_hash, name) pairs of people in the table, chosen at random."""
    # SAMPLE takes no bound parameters; both are ints of our own
    rows = con.execute(f"select id_hash, name from payment_rows using sample reservoir({int(n)} rows) "
                       f"repeatable ({int(seed)})").fetchall()
    return [(int(h), name) for h, name in rows]


def scan_lookup(con: duckdb.DuckDBPyConnection, person: tuple[int, str]) -> tuple[float, bool]:
    """The kiosk's query (funds/sql/queries/lookup_household.sql) for one person on a plain connection:
    seconds, and whether the name matched."""
    id_hash, name = person
    t = time.perf_counter()
    rows = db.fetch_dicts(con, "lookup_household", {"id_hash": id_hash, "name": name})
    return time.perf_counter() - t, any(r["name_matches"] for r in rows)


def app_lookup(path: Path, person: tuple[int, str]) -> tuple[float, bool]:
    """One person looked up as the kiosk does: `db.reading` (a reused cursor of this process's
    lookups' instance of the published snapshot, see funds/readers.py), then `household.lookup_hash` (query, live
    batches, fund names); seconds, and whether the name matched."""
    id_hash, name = person
    t = time.perf_counter()
    with db.reading(path, reuse=True) as con:  # as the kiosk page does
        res = household.lookup_hash(con, id_hash, name, TODAY)
    return time.perf_counter() - t, res["found"]


def timed(con: duckdb.DuckDBPyConnection, sql: str, repeat: int) -> dict[str, Any]:
    """Best and all times of one query, with its row count."""
    times, n = [], 0
    for _ in range(repeat):
        t = time.perf_counter()
        n = len(con.execute(sql).fetchall())
        times.append(time.perf_counter() - t)
    return {"seconds": round(min(times), 3), "all_seconds": [round(x, 3) for x in times], "result_rows": n}


def lookup_set(paths: dict[str, Path], n_lookups: int, repeat: int, auditor: bool) -> dict[str, Any]:
    """Lookups on each layout of one size (and the auditor queries on the as-loaded layout).

    Sorted layouts are read the way the app reads them (`app_lookup`); the unsorted one is the
    full-scan baseline, the kiosk's query on a plain connection (`scan_lookup`), for one person in
    ten (at least 50 in all). The layouts take turns, ten people at a time (a few tens of ms), so
    a ratio compares lookups made in the same seconds: this box's speed moves 1.5-2x from one
    minute to the next, and measured one layout after the other a ratio moved with it (13.8x and
    21.3x in two runs). Turns of one person each would instead measure every lookup right after
    another layout's, with its caches evicted, which a kiosk serving its own lookups is not.
    Both sides are read warm, as a serving kiosk reads them: the app's layouts once the app's
    `household.keep_warm` has read their lookup columns in (it runs as each snapshot opens; waited
    for here), the scan once its first scans have brought id_hash into its buffer pool.
    """
    cons = {layout: duckdb.connect(str(path), read_only=True) for layout, path in paths.items()}
    people = sample_people(next(iter(cons.values())), n_lookups)
    one: dict[str, Callable[[tuple[int, str]], tuple[float, bool]]] = {}
    household.keep_warm()  # as the app's server does: a snapshot's lookup columns are read as it opens
    for layout, path in paths.items():
        if layout == "unsorted":
            one[layout] = functools.partial(scan_lookup, cons[layout])
        else:
            data.published(path)
            one[layout] = functools.partial(app_lookup, path)
    for person in people[:20]:  # opens the app's shared connections and warms the scan's buffer pool
        for lookup in one.values():
            lookup(person)
    warm_wait = {}
    for layout, path in paths.items():
        if layout != "unsorted":
            t = time.perf_counter()
            readers.wait_opened(path)
            warm_wait[layout] = round(time.perf_counter() - t, 3)
    stride = max(1, len(people) // max(50, n_lookups // 10))
    times: dict[str, list[float]] = {layout: [] for layout in one}
    found = dict.fromkeys(one, 0)
    for turn in range(0, len(people), stride):
        for layout, lookup in one.items():
            for person in people[turn:turn + stride] if layout != "unsorted" else people[turn:turn + 1]:
                seconds, ok = lookup(person)
                times[layout].append(seconds)
                found[layout] += ok
    out: dict[str, Any] = {layout: {**summary_ms(times[layout]), "found": found[layout]} for layout in one}
    out["method"] = (f"layouts in turns of {stride} people; the unsorted one for the first person of each turn; "
                     "the app's layouts once their lookup columns were read in (household.keep_warm)")
    out["warm_wait_s"] = warm_wait  # how long that was still going after the first 20 lookups
    readers.clear()
    if auditor and "as_loaded" in cons:
        out["lag_buckets"] = timed(cons["as_loaded"], LAG_BUCKETS, repeat)
        out["reconcile_per_fund"] = timed(cons["as_loaded"], RECONCILE, repeat)
    for con in cons.values():
        con.close()
    return out


# ---------------------------------------------------------------- lookups while an ingest runs

def _kiosk_people(csv: Path, n: int) -> list[tuple[str, str]]:
    import pyarrow.csv as pacsv

    t = pacsv.read_csv(csv, convert_options=pacsv.ConvertOptions(include_columns=["身份证号", "姓名"],
                                                                 column_types={"身份证号": "string"}))
    ids, names = t.column("身份证号").to_pylist(), t.column("姓名").to_pylist()
    rng = random.Random(3)
    picks = [rng.randrange(len(ids)) for _ in range(n)]
    return [(ids[i], names[i]) for i in picks]


def under_ingest(db_path: Path, people_csv: Path, funds_csv: Path, data: Path, n_lookups: int) -> dict[str, Any]:
    """Kiosk lookups (funds.household.lookup through db.reading: the published snapshot) while
    another process ingests a 1M-row file into the same database; lookups without the ingest first."""
    people = _kiosk_people(people_csv, n_lookups)
    key = keys.load(settings.secret_path(db_path))
    household.keep_warm()  # as the app's server: the snapshot each publish brings is read in as it opens

    missed = [0]

    def run(count: int, stop: subprocess.Popen | None = None) -> list[float]:
        times = []
        i = 0
        while i < count or (stop is not None and stop.poll() is None):
            id_text, name = people[i % len(people)]
            t = time.perf_counter()
            with db.reading(db_path, reuse=True) as con:  # as the kiosk page does
                res = household.lookup(con, key, id_text, name)
            times.append(time.perf_counter() - t)
            missed[0] += not res["found"]
            i += 1
            if stop is not None and stop.poll() is not None and i >= count:
                break
        return times

    quiet = run(n_lookups)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    code = ("import sys, json, time; from pathlib import Path; from pipelines.ingest import ingest_file, open_for_ingest\n"
            "con, key = open_for_ingest(Path(sys.argv[1])); ingest_file(con, key, 'funds', Path(sys.argv[2]), 'bench')\n"
            "t = time.perf_counter(); o = ingest_file(con, key, 'payments', Path(sys.argv[3]), 'bench'); con.close()\n"
            "print(json.dumps({'status': o.status, 'rows': o.report.rows, 'seconds': round(time.perf_counter() - t, 3)}))")
    proc = subprocess.Popen([sys.executable, "-c", code, str(db_path), str(funds_csv), str(data)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(0.5)
    busy = run(n_lookups, stop=proc)
    stdout, stderr = proc.communicate()
    ingest = json.loads(stdout.strip().splitlines()[-1]) if proc.returncode == 0 else {"error": stderr[-500:]}
    return {"method": "funds.household.lookup per request through db.reading(reuse=True) (a reused cursor of the "
                      "process's lookups' instance of the newest published snapshot, as the kiosk); "
                      "writer: a separate process running funds ingest of a 1M-row file on the same database",
            "quiet": summary_ms(quiet), "during_ingest": summary_ms(busy), "ingest": ingest, "not_found": missed[0]}
