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
from tests.python.helpers import use_database

MF = Path(sys.executable).with_name("mf")


def _mf(args: list[str], database: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MQL_DUCKDB_PATH=str(database))
    env.pop("DBT_TARGET_PATH", None)  # MetricFlow reads target/semantic_manifest.json of the project
    return subprocess.run([str(MF), *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def test_metricflow_query_matches_the_mart(built_warehouse: Path, tmp_path: Path) -> None:
    database = tmp_path / "semantic.duckdb"
    shutil.copy(built_warehouse, database)
    previous = os.environ.pop("DBT_TARGET_PATH", None)
    try:
        with use_database(database):
            run_dbt(["parse"], quiet=True)  # writes target/semantic_manifest.json
    finally:
        if previous is not None:
            os.environ["DBT_TARGET_PATH"] = previous
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
