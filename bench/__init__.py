"""The benchmark suite of issue 5: `python -m bench` (or `make bench`); every figure with its baseline."""
