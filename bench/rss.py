"""`python -m bench.rss DB FUNDS_CSV DATA`: one ingest in a fresh process, for its peak RSS."""

import sys

from bench.ingest_bench import rss_child

if __name__ == "__main__":
    rss_child(*sys.argv[1:4])
