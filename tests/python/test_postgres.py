"""The project on PostgreSQL: a throwaway server, the COPY loader, `dbt build` (seeds, models, data and unit tests)
on the small fixture, and the DuckDB-vs-PostgreSQL equality check on every mart.

Skipped when the PostgreSQL server binaries are missing, except in CI (`CI=true`), where that is a failure:
`.ci/postgres.sh` installs them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from scripts.dbt_runner import run_dbt
from scripts.warehouses import postgres
from scripts.warehouses.equality import compare_rows, patched_env, run_equality

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pg_env() -> Iterator[dict[str, str]]:
    try:
        server = postgres.start_server(database="mql_test")
    except postgres.PostgresUnavailable as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL must run in CI: {error}")
        pytest.skip(f"PostgreSQL not available: {error}")
    try:
        yield server.env()
    finally:
        postgres.stop_server(server)


def test_build_and_tests_pass_on_postgres_and_every_mart_equals_duckdb(
        pg_env: dict[str, str], tmp_path: Path) -> None:
    # run_equality runs `dbt build` on both engines (a failing model or test raises DbtError) and compares marts.
    report = run_equality(tmp_path, postgres_env=pg_env, contacts=300, seed=7)
    messages = [f"{d.mart}: {m}" for d in report.diffs for m in d.messages]
    assert not messages, "\n".join(messages)
    assert len(report.marts) >= 10
    assert report.rows["dim_leads"] > 0 and report.rows["fct_lead_score_history"] > 0
    print({name: round(seconds, 1) for name, seconds in report.timings.items()})


# Text that staging must type (or null) the same way on both engines: PostgreSQL has no try_cast and accepts words
# like 'yesterday' as timestamps, so its macros validate first (macros/cross_db/); DuckDB reads the words 'epoch' and
# 'infinity' as timestamps, so its macros require a leading digit. Placeholder dates parse (staging range-checks them).
PARSE_CASES = [
    "2025-01-02T03:04:05+02:00", "2025-01-02T03:04:05Z", "2025-01-02 03:04:05", "2025-01-02", " 2025-01-02 03:04 ",
    "2025-01-02T03:04:05.123456-05:30", "2025-01-02T03:04:05+0530", "2024-02-29 23:59:59", "2025-01-02 24:00:00",
    "2025-13-45 10:00:00", "2025-02-30 10:00:00", "2023-02-29", "31/02/2025", "yesterday", "now", "",
    "not a timestamp", "2025-01-02 25:00:00", "epoch", "infinity", "-infinity", "1900-01-01 00:00:00",
]  # (year 1 parses too, but Spark's result cannot reach Python: datetime has no year 0 after the UTC shift)
NUMBER_CASES = ["12", "1.5", " 7 ", "1e3", "abc", "-3", "+4", "1,000", "12.0", ".5", "5.", "N/A", "", "#REF!",
                "NaN", "Infinity", "-inf", "1e309", "-1e309", "1e20", "1e-400", "1e-310", "2.5e-7"]
NON_FINITE = {"NaN", "Infinity", "-inf", "1e309", "-1e309"}
"""Number-shaped or not, never a number: null on every engine (one of them would poison every sum it enters)."""


def _show(sql: str, target: str, env: dict[str, str]) -> list[tuple]:
    with patched_env({**env, "MQL_TARGET": target}):
        result = run_dbt(["show", "--inline", sql, "--limit", "-1"], quiet=True)
    table = result.result.results[0].agate_table
    return [tuple(row) for row in table.rows]


def _values_sql(cases: list[str]) -> str:
    rows = " union all ".join(f"select {i} as i, '{c}' as v" for i, c in enumerate(cases))
    return f"with cases as ({rows})"


def test_timestamp_date_and_number_parsing_agree_with_duckdb(pg_env: dict[str, str], tmp_path: Path) -> None:
    sql = (_values_sql(PARSE_CASES) + " select i, {{ parse_timestamp_utc('v') }} as ts, {{ parse_date('v') }} as d "
           "from cases order by i")
    numbers = (_values_sql(NUMBER_CASES) + " select i, {{ try_cast('v', api.Column.translate_type('bigint')) }} as n, "
               "{{ try_cast('v', 'double precision') }} as f from cases order by i")
    database = tmp_path / "parse.duckdb"
    duckdb.connect(str(database)).close()
    duck_env = {"MQL_DUCKDB_PATH": str(database)}
    assert _show(sql, "postgres", pg_env) == _show(sql, "dev", duck_env)
    duck_numbers = _show(numbers, "dev", duck_env)
    assert _show(numbers, "postgres", pg_env) == duck_numbers
    for (_, integer, number), case in zip(duck_numbers, NUMBER_CASES, strict=True):
        if case in NON_FINITE:
            assert integer is None and number is None, case
    assert [float(row[2]) for row in duck_numbers[-4:]] == pytest.approx([1e20, 0.0, 0.0, 2.5e-7], rel=1e-12)
    # materialized_cte(): the keyword each engine accepts (incremental builds use it; this build is not one)
    cte = "with cases as {{ materialized_cte() }} (select 1 as i union all select 2 as i) select i from cases order by i"
    assert _show(cte, "postgres", pg_env) == _show(cte, "dev", duck_env) == [(1,), (2,)]


def test_compare_rows_reports_a_score_difference_beyond_tolerance() -> None:
    left = [{"id": "a", "score": 10.0}, {"id": "b", "score": 1.0}]
    assert compare_rows("m", ["id"], left, [{"id": "b", "score": 1.0 + 1e-9}, {"id": "a", "score": 10.0}]) is None
    found = compare_rows("m", ["id"], left, [{"id": "a", "score": 10.001}, {"id": "b", "score": 1.0}])
    assert found is not None and "score" in found.messages[0]
    assert compare_rows("m", ["id"], left, left[:1]) is not None
