#!/usr/bin/env bash
# CI step for the PostgreSQL job: make the PostgreSQL server binaries available (Debian package `postgresql`;
# binaries in /usr/lib/postgresql/<version>/bin), install the Postgres adapter, then run the Postgres tests: a
# throwaway server (scripts/warehouses/postgres.py), `dbt build` of the fixture and the DuckDB equality check.
# With CI=true, tests/python/test_postgres.py fails (instead of skipping) when the server cannot start.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-true}"
if ! command -v pg_ctl >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends postgresql
fi
# Debian's postgresql-common starts a cluster on install where systemd/invoke-rc.d allows it; the tests do not use
# it (they start their own on a free port).
test -x .venv/bin/python || make venv
.venv/bin/uv pip install --quiet --python .venv/bin/python "dbt-postgres==1.11.0" "psycopg2-binary==2.9.13"
time .venv/bin/pytest -q -p no:cacheprovider tests/python/test_postgres.py
