# therapy-outcomes: the steps from raw data to outputs. `make demo` and `make test` are all a
# new user needs; both create the virtual environment and the demo clinic when missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := data/demo
AS_OF  := 2026-10-31
DEMO_CLIENTS := 200
DEMO_SEED    := 7
# two demo clients whose reports make demo renders: one who improved, one who got worse
DEMO_REPORT_CLIENTS := C000003 C000007
REPORTS := reports/demo
DEMO_MONTH := 2026-10

.PHONY: demo test test-fast lab lint benchmark clean-demo help system-packages

help:
	@echo "make demo       set up, build the demo clinic, validate it and print a scored summary"
	@echo "make test       set up, then run the whole test suite (notebooks included)"
	@echo "make test-fast  the tests that need no Jupyter kernel, browser, PostgreSQL or Dask"
	@echo "make lab        JupyterLab on the notebooks (the explorer: notebooks/explore.ipynb)"
	@echo "make lint       ruff check, ruff format --check and mypy"
	@echo "make benchmark  load+validate+score 100,000 clients against a plain pyarrow read"

# System packages: Debian's headless Chromium draws PDF reports and runs the browser tests;
# PostgreSQL's server binaries run the SQL connector's tests (each test run starts its own
# throwaway server). Installed when missing and when this user may (root, as on CI); for
# anyone else a note says what is skipped (in CI, with CI=true, those tests fail instead).
SYSTEM_PACKAGES := chromium fonts-liberation postgresql
MISSING := $(if $(shell command -v chromium 2>/dev/null),,chromium)$(if $(wildcard /usr/lib/postgresql/*/bin/initdb),, postgresql)

system-packages:
ifneq ($(strip $(MISSING)),)
	@if [ "$$(id -u)" = "0" ]; then \
		echo "installing $(SYSTEM_PACKAGES)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; \
	else \
		echo "note: missing$(MISSING); PDFs and the browser and PostgreSQL tests are skipped" \
			"until you run: sudo apt-get install $(SYSTEM_PACKAGES)" >&2; \
	fi
endif

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[all,dev]"
	@touch $(STAMP)

$(DEMO)/clients.csv: | $(STAMP)
	$(BIN)/therapy-outcomes demo-data --out $(DEMO) --clients $(DEMO_CLIENTS) --seed $(DEMO_SEED) --as-of $(AS_OF)

demo: $(STAMP) $(DEMO)/clients.csv system-packages
	$(BIN)/therapy-outcomes validate $(DEMO) --as-of $(AS_OF)
	$(BIN)/therapy-outcomes summary $(DEMO) --as-of $(AS_OF)
	@pdf=$$(command -v chromium >/dev/null && echo --pdf); \
	for client in $(DEMO_REPORT_CLIENTS); do for audience in clinician client; do \
		$(BIN)/therapy-outcomes report client $$client --data $(DEMO) --out $(REPORTS) \
			--as-of $(AS_OF) --audience $$audience $$pdf || exit 1; \
	done; done
	$(BIN)/therapy-outcomes report cohort --data $(DEMO) --out $(REPORTS) --group-by site
	$(BIN)/therapy-outcomes report monthly --data $(DEMO) --out $(REPORTS) --month $(DEMO_MONTH)
	$(BIN)/therapy-outcomes batch --data $(DEMO) --month $(DEMO_MONTH) --out $(REPORTS)/batch --workers 2
test: $(STAMP) $(DEMO)/clients.csv system-packages
	$(BIN)/python -m pytest -q --doctest-modules src/therapy_outcomes tests --nbval-lax notebooks

# The quick loop while working (under 2 minutes): everything but the tests marked kernel,
# browser, postgres or dask (tests/slow_kinds.py); doctests included, one worker per core
# (pytest-xdist). make test runs them all, in one process.
FAST := not kernel and not browser and not postgres and not dask
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n auto -p no:nbval -m "$(FAST)" --doctest-modules src/therapy_outcomes tests

# JupyterLab on the notebooks (the explorer is notebooks/explore.ipynb); --allow-root as root.
lab: $(STAMP) $(DEMO)/clients.csv
	$(BIN)/jupyter lab --notebook-dir=notebooks --no-browser $$( [ "$$(id -u)" = "0" ] && echo --allow-root )

# Lint: ruff's checks and formatting, then mypy on the package (its settings in pyproject.toml).
LINTED := src tests benchmarks notebooks
lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

benchmark: $(STAMP)
	$(BIN)/python benchmarks/load_validate_score.py

clean-demo:
	rm -rf $(DEMO)
