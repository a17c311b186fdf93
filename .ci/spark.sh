#!/usr/bin/env bash
# CI step for the Spark job: make Java 17 available (Debian package `openjdk-17-jre-headless`; pyspark starts a local
# JVM), make sure the Spark adapter is in the virtualenv (dbt-spark[session] and pyspark are in the dev extra), then
# run the Spark tests: the Spark loader, `dbt build` of the fixture on the `spark` target (local session, metastore
# and tables in a temporary MQL_SPARK_HOME) and the DuckDB equality check on every mart.
# With CI=true, tests/python/test_spark.py fails (instead of skipping) when Java is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export CI="${CI:-true}"
if ! { command -v java >/dev/null 2>&1 && java -version >/dev/null 2>&1; }; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends openjdk-17-jre-headless
fi
test -x .venv/bin/python || make venv
.venv/bin/uv pip install --quiet --python .venv/bin/python "dbt-spark[session]==1.11.0" "pyspark==4.3.0"
time .venv/bin/pytest -q -p no:cacheprovider tests/python/test_spark.py
