# The two commands: `make run` and `make test`. See README.md.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PYTHAINLP_READ_ONLY := 1

.DEFAULT_GOAL := help
.PHONY: help install run test lint messages compilemessages vendor clean bench

help:
	@echo "make run    - set up .venv, migrate, load the demo city, serve http://127.0.0.1:8000"
	@echo "make test   - the whole suite against real PostgreSQL and Redis"
	@echo "make lint   - ruff and import-linter"
	@echo "make messages - extract strings into locale/*/django.po (needs GNU gettext)"
	@echo "make vendor - refresh self-hosted front-end assets from the npm registry"
	@echo "make bench SCALE=small|medium|large [BENCH=catalogue,enrolment,aggregation,dashboards,memory]"

$(BIN)/python:
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PY=python3.11)")'
	@$(PY) -m venv $(VENV) || { rm -rf $(VENV); echo "Could not create $(VENV): on Debian/Ubuntu, apt-get install python3-venv" >&2; exit 1; }

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed compilemessages

compilemessages: $(VENV)/.installed
	$(BIN)/python scripts/compile_messages.py

run: install
	$(BIN)/python scripts/run.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The whole suite, browser tests included, against real PostgreSQL, Redis and Chromium:
# a missing one stops the run with a message saying how to start it (never a skip).
# pytest exits non-zero when no test ran (5), so an empty run can never pass.
test: install
	$(BIN)/python scripts/check_services.py --browser
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

messages: install
	$(BIN)/python manage.py makemessages -l th -l en --no-obsolete --ignore=.venv --ignore=static/vendor --ignore=bench --ignore=tests
	$(BIN)/python scripts/compile_messages.py

vendor:
	scripts/vendor.sh

# Benchmarks (bench/, docs/benchmarks.md): never part of `make test`. Uses the database
# lc_bench_$(SCALE) on BENCH_SERVER_URL's server (created, migrated and filled with the
# synthetic city when missing) and Redis database 14 (BENCH_REDIS_URL).
SCALE ?= small
BENCH ?= catalogue,enrolment,aggregation,dashboards,memory
bench: install
	$(BIN)/python -m bench run --scale $(SCALE) --only $(BENCH) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .import_linter_cache
