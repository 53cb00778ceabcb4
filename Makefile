# Two commands on a fresh machine with Python 3.11 and pip: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test bench lint clean browser screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Validate the rules, load the bundled real data into the embedded store (once: ingest is
# idempotent), print every safeguard's status as of the data's last month, answer the
# motivating duty question (US frozen beef during the March 2021 safeguard), then serve the
# dashboard and the REST API at http://127.0.0.1:8000 until stopped.
run: install
	$(BIN)/tradeguard rules validate
	$(BIN)/tradeguard ingest --bundled
	$(BIN)/tradeguard status
	$(BIN)/tradeguard duty --line 0202.30 --origin US --date 2021-03-20 --value 1000000 --quantity 1000
	$(BIN)/tradeguard serve --host 127.0.0.1 --port 8000

# Debian's chromium for the browser tests (Playwright cannot download its own browser here).
browser:
	@test -x /usr/bin/chromium || command -v chromium >/dev/null 2>&1 || \
	  (apt-get update -q && apt-get install -y -q chromium) || \
	  echo "warning: chromium not installed; the browser tests will be skipped"

# Full-page screenshots of the overview, a measure, a duty result, the surges and the design
# lab at 1366 and 390 px into docs/screenshots/ (scripts/screenshots.py; Debian's chromium).
screenshots: install browser
	$(BIN)/python scripts/screenshots.py

lint: install
	$(BIN)/ruff check src tests bench scripts

# The rules quality report fails the build on a malformed rule or an unresolved overlap.
# PYTHONDONTWRITEBYTECODE is cleared for the tests: with it set (as on this machine) every test
# worker and every CLI or server subprocess compiles the package and re-rewrites the test
# modules from source (collection alone: 16 CPU-s per worker, 10 with the caches in __pycache__/).
test: install lint browser
	$(BIN)/tradeguard rules report --as-of 2026-11-27 > /dev/null
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n 2 --dist loadgroup

# Every benchmark module, each in a child process of its own (target: 10 minutes on 2 cores);
# `make bench BENCH_ARGS=--quick` (target: 2 minutes), `BENCH_ARGS="--scale"` (the 100 M-row runs),
# `BENCH_ARGS="--only duty surge"`. Results merge into bench/results/summary.json.
bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
