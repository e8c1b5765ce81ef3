# Two entry points: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# uv installs the stack in seconds; it must never try to download a Python of its own.
export UV_PYTHON_DOWNLOADS := never
# TEST_BROWSER=0 leaves the Chromium tests out of `make test` (CI runs them as a leg of their own).
TEST_BROWSER ?= 1

.PHONY: run test install install-dev lint migrate-check serve bootstrap system-packages system-packages-test

# System libraries (WeasyPrint's; for the tests also Chromium, poppler, Java): installed with
# apt-get only when missing, otherwise the script names the one command to run and stops.
system-packages:
	@.ci/system-packages
system-packages-test:
	@.ci/system-packages --test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r pyproject.toml
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r pyproject.toml --extra dev
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

bootstrap: install system-packages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_catalog
	$(BIN)/python manage.py create_first_admin

run: bootstrap
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: install-dev system-packages-test
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/pytest -m "not browser" $(PYTEST_ARGS)
# Browser tests run in a process of their own: the live server's threads outlive the tests
# that used them and would be blamed on whichever test runs next. They are skipped, with the
# reason, when no Chromium is installed.
ifneq ($(TEST_BROWSER),0)
	@if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null; then \
	  $(BIN)/pytest -m browser $(PYTEST_ARGS); \
	else echo "Browser tests skipped: no Chromium (run: apt-get install chromium)"; fi
else
	@echo "Browser tests skipped: TEST_BROWSER=0"
endif

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The benchmark (README, Performance): server time and queries of each page as a multiple of a
# floor view, on a small and a clinic-chain-sized database (SQLite, or DATABASE_URL's
# PostgreSQL). `make bench BENCH_ARGS=--quick` is a smoke run; `--datasets small` skips the
# large database.
.PHONY: bench load
bench: install-dev
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Load test: gunicorn on 127.0.0.1 driven by locust, 32 users for 30 s per phase.
load: install-dev
	$(BIN)/python -m bench.load $(LOAD_ARGS)
