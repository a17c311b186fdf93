"""The project on Apache Spark (local session, `spark` target): the Spark loader, `dbt build` (seeds, models, data
and unit tests) on the small fixture, and the DuckDB-vs-Spark equality check on every mart.

One local Spark session serves the whole module (JVM start ~10 s); its metastore and tables live in a temporary
`MQL_SPARK_HOME`. Skipped when Java is missing, except in CI (`CI=true`), where that is a failure: `make java`
(part of `make test`) installs Debian's openjdk-17-jre-headless. About 6-7 minutes on 2 cores, most of it the
Spark `dbt build` (353 nodes at ~1 s each).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from scripts.dbt_runner import run_dbt
from scripts.warehouses import spark
from scripts.warehouses.equality import FIXED_LOADED_AT, generate_fixture, patched_env, run_equality
from tests.python.test_postgres import NUMBER_CASES, PARSE_CASES, _values_sql

pytestmark = pytest.mark.slow

# Spark-specific shapes on top of the PostgreSQL cases: partial values Spark's own cast accepts, offsets with a
# space or hours only, hour 24, 7-9 fraction digits, and numbers Spark's casts read differently (fractions into
# integers, values beyond bigint).
SPARK_PARSE_CASES = [
    "2025", "2025-01", "2025-01-02T3", "2025-01-02 03:04:05 UTC", "2025-01-02 03:04:05+02", "2025-01-02T24:00:00Z",
    "2025-01-02 24:00:01", "2025-01-02T03:04:05.1234567",
    "2025-01-02T03:04:05.123456789Z",
]
# Known difference, not compared (as on PostgreSQL): DuckDB reads 'NaN' and 'Infinity' as doubles, Spark here gives
# null (a number must look like digits).
SPARK_NUMBER_CASES = ["2.5", "-2.5", "1e19", "9223372036854775807", "99999999999999999999"]


@pytest.fixture(scope="module")
def spark_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh MQL_SPARK_HOME for this module; the session is stopped at the end (releasing the Derby lock)."""
    if spark.java_available() is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Java must be installed in CI (make java / apt-get install openjdk-17-jre-headless)")
        pytest.skip("Java is missing: apt-get install -y openjdk-17-jre-headless to run the Spark tests")
    home = tmp_path_factory.mktemp("spark-home")
    spark.stop_session()
    with patched_env({"MQL_SPARK_HOME": str(home)}):
        try:
            yield home
        finally:
            spark.stop_session()


def test_build_and_tests_pass_on_spark_and_every_mart_equals_duckdb(spark_home: Path, tmp_path: Path) -> None:
    # run_equality loads the fixture into Spark, runs `dbt build` on both engines (a failing model, data test or
    # unit test raises DbtError) and compares every mart row by row.
    report = run_equality(tmp_path, contacts=300, seed=7, engine="spark")
    messages = [f"{d.mart}: {m}" for d in report.diffs for m in d.messages]
    assert not messages, "\n".join(messages)
    assert len(report.marts) >= 10
    assert report.rows["dim_leads"] > 0 and report.rows["fct_lead_score_history"] > 0
    print({name: round(seconds, 1) for name, seconds in report.timings.items()})


def test_loader_lands_text_columns_lineage_and_skips_a_file_loaded_twice(spark_home: Path,
                                                                         tmp_path: Path) -> None:
    data = generate_fixture(tmp_path / "data", contacts=20, seed=3, events_per_contact=5.0)
    report = spark.load_directory(data, "raw_loader_test", loaded_at=FIXED_LOADED_AT)
    written = json.loads((data / "_manifest.json").read_text(encoding="utf-8"))["rows"]
    assert {table: report.rows[table] for table in written} == written  # every file row landed
    columns = spark.get_session().sql("describe raw_loader_test.contacts").collect()
    types = {row.col_name: row.data_type for row in columns if not row.col_name.startswith("#")}
    assert types.pop("_loaded_at") == "timestamp" and types.pop("_source_row") == "bigint"
    assert set(types.values()) == {"string"}
    first = spark.fetch_rows("select min(_loaded_at) as t, count(distinct _source_file) as files "
                             "from raw_loader_test.contacts")
    assert first == [{"t": FIXED_LOADED_AT.replace(tzinfo=None), "files": 1}]
    again = spark.load_directory(data, "raw_loader_test", mode="append")
    assert again.rows_added == 0 and len(again.skipped) == len(list(data.glob("*.parquet")))
    assert again.rows == report.rows


def _show(sql: str, target: str, env: dict[str, str]) -> list[tuple]:
    with patched_env({**env, "MQL_TARGET": target}):
        result = run_dbt(["show", "--inline", sql, "--limit", "-1"], quiet=True)
    table = result.result.results[0].agate_table
    return [tuple(row) for row in table.rows]


def test_timestamp_date_and_number_parsing_agree_with_duckdb(spark_home: Path, tmp_path: Path) -> None:
    cases = PARSE_CASES + SPARK_PARSE_CASES
    numbers = NUMBER_CASES + SPARK_NUMBER_CASES
    parse_sql = (_values_sql(cases) + " select i, {{ parse_timestamp_utc('v') }} as ts, {{ parse_date('v') }} as d "
                 "from cases order by i")
    number_sql = (_values_sql(numbers) + " select i, {{ try_cast('v', api.Column.translate_type('bigint')) }} "
                  "as n, {{ try_cast('v', type_double()) }} as f from cases order by i")
    database = tmp_path / "parse.duckdb"
    duckdb.connect(str(database)).close()
    duck_env = {"MQL_DUCKDB_PATH": str(database)}
    assert _show(parse_sql, "spark", {}) == _show(parse_sql, "dev", duck_env)
    assert _show(number_sql, "spark", {}) == _show(number_sql, "dev", duck_env)
    # materialized_cte(): the keyword each engine accepts (nothing on Spark, whose builds are never incremental)
    cte = "with cases as {{ materialized_cte() }} (select 1 as i union all select 2 as i) select i from cases order by i"
    assert _show(cte, "spark", {}) == _show(cte, "dev", duck_env) == [(1,), (2,)]


def test_regex_helpers_agree_with_duckdb(spark_home: Path, tmp_path: Path) -> None:
    # POSIX classes and backslashes are rewritten for Java regex and Spark string literals (spark__regex_literal).
    texts = ["a b@x.com", "ab@x.com", "  Head   of\tSales ", "x.y", "xzy", "", "/pricing?x=1", "https://a.b/c/d"]
    sql = (_values_sql(texts) + " select i, {{ regexp_like('v', '^[^@[:space:]]+@[^@[:space:]]+[.][a-z]+$') }} "
           "as email, {{ regexp_like('v', '^x\\\\.y$') }} as dot, {{ lookup_key('v') }} as k, "
           "{{ regexp_extract('v', '^(?:[a-z]+://[^/]*)?/([^/?#]+)') }} as seg from cases order by i")
    database = tmp_path / "regex.duckdb"
    duckdb.connect(str(database)).close()
    assert _show(sql, "spark", {}) == _show(sql, "dev", {"MQL_DUCKDB_PATH": str(database)})
