# Everyday targets. `make setup` once; `make run` serves the app on a demo database.
PY ?= .venv/bin/python
DB ?= data/demo.duckdb

.PHONY: setup run demo test test-all lint bench

setup:
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q -e '.[test]'
	# an editable install compiles nothing: without this, where PYTHONDONTWRITEBYTECODE is set, every
	# `funds` command compiles the project's modules again (~0.07-0.1 s of each command's start)
	$(PY) -m compileall -q funds pipelines schemas funds_cli app_pages >/dev/null

demo: setup
	test -f $(DB) || FUNDS_DB=$(DB) .venv/bin/funds demo --households 5000

run: demo
	FUNDS_DB=$(DB) .venv/bin/streamlit run app.py

test: setup
	bash scripts/test.sh

test-all: setup
	$(PY) -m pytest -m "slow or not slow"

lint:
	.venv/bin/ruff check funds pipelines schemas funds_cli app_pages app.py tests

bench: setup
	$(PY) -m bench
