"""The semantic layer works for real: MetricFlow validates the semantic models and answers a metric query whose
numbers equal the mart it reads."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from scripts.dbt_runner import run_dbt
from scripts.paths import PROJECT_ROOT
from scripts.publish import publish
from tests.python.helpers import use_database

MF = Path(sys.executable).with_name("mf")


def _mf(args: list[str], database: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MQL_DUCKDB_PATH=str(database), **variables)
    env.pop("DBT_TARGET_PATH", None)  # MetricFlow reads target/semantic_manifest.json of the project
    return subprocess.run([str(MF), *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def _parse(database: Path, target: str) -> None:
    """`dbt parse` on `target`, writing the project's target/semantic_manifest.json (which MetricFlow reads)."""
    previous = {name: os.environ.pop(name, None) for name in ("DBT_TARGET_PATH", "MQL_TARGET")}
    os.environ["MQL_TARGET"] = target
    try:
        with use_database(database):
            run_dbt(["parse"], quiet=True)
    finally:
        os.environ.pop("MQL_TARGET")
        for name, value in previous.items():
            if value is not None:
                os.environ[name] = value


def _metric_total(out: Path) -> float:
    with out.open(encoding="utf-8") as handle:
        return sum(float(row["mqls"] or 0) for row in csv.DictReader(handle))


def test_metricflow_query_matches_the_mart(built_warehouse: Path, tmp_path: Path) -> None:
    database = tmp_path / "semantic.duckdb"
    shutil.copy(built_warehouse, database)
    _parse(database, "dev")
    validated = _mf(["validate-configs", "--skip-dw"], database)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "ERRORS: 0" in validated.stdout
    out = tmp_path / "mqls.csv"
    queried = _mf(["query", "--metrics", "mqls", "--group-by", "metric_time__month", "--csv", str(out)], database)
    assert queried.returncode == 0, queried.stdout + queried.stderr
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    from_metricflow = sum(float(row["mqls"] or 0) for row in rows)
    with duckdb.connect(str(database), read_only=True) as connection:
        from_mart = connection.execute("select coalesce(sum(mqls), 0) from marts.fct_funnel_monthly").fetchone()[0]
    assert len(rows) > 1
    assert from_metricflow == from_mart > 0


def test_metricflow_reads_the_serving_file_while_the_build_file_is_being_written(built_warehouse: Path,
                                                                                 tmp_path: Path) -> None:
    """The profile's `serving` target reads the serving file read-only: MetricFlow answers while another process
    holds the build file for writing (as a refresh does), where the default target would fail on its lock."""
    database = tmp_path / "semantic.duckdb"
    shutil.copy(built_warehouse, database)
    serving = tmp_path / "serving.duckdb"
    publish(database, "r-semantic", serving)
    with duckdb.connect(str(database), read_only=True) as connection:
        from_mart = connection.execute("select coalesce(sum(mqls), 0) from marts.fct_funnel_monthly").fetchone()[0]
    _parse(database, "serving")
    writer = subprocess.Popen([sys.executable, "-c", HOLDING_WRITER, str(database)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "holding"
        out = tmp_path / "serving.csv"
        queried = _mf(["query", "--metrics", "mqls", "--group-by", "metric_time__month", "--csv", str(out)],
                      database, MQL_TARGET="serving", MQL_SERVING_PATH=str(serving))
        assert queried.returncode == 0, queried.stdout + queried.stderr
        assert _metric_total(out) == from_mart > 0
        locked = _mf(["query", "--metrics", "mqls", "--group-by", "metric_time__month"], database, MQL_TARGET="dev")
        assert locked.returncode != 0  # the build file is held: the reason readers use the serving target
    finally:
        writer.communicate("done\n", timeout=60)
        _parse(database, "dev")


# Holds the build file open for writing, as a refresh's load or dbt build does, until told to stop.
HOLDING_WRITER = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1])
connection.execute("create or replace table main._writer_was_here as select 1 as x")
print("holding", flush=True)
sys.stdin.readline()
connection.close()
"""
