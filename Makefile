# mql-warehouse: the two commands a newcomer needs are `make demo` and `make test`.
# Both create the virtualenv at .venv when it is missing (Python 3.11, dependencies pinned in requirements.lock).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
BIN := $(VENV)/bin
PYTHON_FOR_VENV ?= $(shell command -v python3.11 || command -v python3)
CI_DATA := warehouse/ci-data
CI_DB := warehouse/ci.duckdb

.PHONY: demo test lint dbt-ci pytest clean venv browser postgres-server java

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON_FOR_VENV) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

## Headless Chromium for the report and docs tests (Debian's package; installed when missing and we are root).
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else echo "Chromium is missing: sudo apt-get install chromium (Debian) or set CHROMIUM=/path"; exit 1; fi; }

## PostgreSQL server binaries for the cross-warehouse tests (Debian's package; the tests start a throwaway server).
postgres-server:
	@command -v pg_ctl >/dev/null || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { \
	if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends postgresql >/dev/null; \
	else echo "PostgreSQL tests skipped: sudo apt-get install postgresql to run them"; fi; }

## Java 17 for the Spark tests (pyspark runs a local JVM; Debian's package, installed when missing and we are root).
java:
	@{ command -v java >/dev/null && java -version >/dev/null 2>&1; } || { \
	if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null; \
	else echo "Spark tests skipped: sudo apt-get install openjdk-17-jre-headless to run them"; fi; }

## Build the demo warehouse on embedded DuckDB and print where the results are.
demo: venv
	$(BIN)/mql demo

## Everything CI checks: SQL lint, dbt build (seeds, models, data and unit tests) on a generated fixture, pytest.
test: venv browser postgres-server java dbt-ci lint pytest

# sqlfluff's dbt templater compiles every model; scoring models read the rule seeds while compiling, so lint runs
# against the CI warehouse that dbt-ci built (seeds loaded).
lint: venv
	$(BIN)/ruff check scripts tests
	MQL_DUCKDB_PATH=$(CI_DB) $(BIN)/sqlfluff lint models analyses --processes 2
	MQL_DUCKDB_PATH=$(CI_DB) $(BIN)/dbt parse --quiet --profiles-dir . --project-dir .
	$(BIN)/dbt-score lint --manifest target/manifest.json --fail-project-under 9.0 --show failing-rules | tail -3

dbt-ci: venv
	rm -rf $(CI_DATA) $(CI_DB)
	MQL_DUCKDB_PATH=$(CI_DB) $(BIN)/mql generate --out $(CI_DATA) --contacts 600 --events-per-contact 30 --seed 7
	MQL_DUCKDB_PATH=$(CI_DB) $(BIN)/mql load $(CI_DATA)
	MQL_DUCKDB_PATH=$(CI_DB) $(BIN)/mql build

# One pytest-xdist worker per CPU, each test file on one worker (module fixtures are built once; the Spark
# metastore and the throwaway PostgreSQL server stay with their file).
pytest: venv
	$(BIN)/pytest -q -p no:cacheprovider --numprocesses auto --dist loadfile

clean:
	rm -rf target logs warehouse metastore_db spark-warehouse derby.log
