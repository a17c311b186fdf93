"""The command line as an operator meets it: fast to start, a version, and a selection typo that fails."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from scripts.cli import app
from scripts.paths import PROJECT_ROOT
from tests.python.helpers import use_database


def test_starting_the_cli_imports_neither_dbt_nor_pandas() -> None:
    """`mql --help` took 10-16 s because every start imported dbt and pandas; commands now import them when they
    run. Checked by what is imported, not by a timing."""
    probe = ("import sys, scripts.cli; "
             "print(sorted(m for m in ('dbt', 'pandas', 'sklearn', 'plotly', 'interpret') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]"


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("mql-warehouse ")


def test_a_selection_that_matches_nothing_fails(built_warehouse: Path) -> None:
    """dbt only warns when `--select` matches no node, so `mql build -s typo` used to exit 0 having done nothing."""
    with use_database(built_warehouse):
        result = CliRunner().invoke(app, ["build", "--select", "no_such_model"], env={"COLUMNS": "200"})
    output = " ".join(result.output.split())
    assert result.exit_code == 1 and "--select no_such_model: matches no node" in output, output


def test_off_a_terminal_output_is_plain_and_unwrapped(tmp_path: Path) -> None:
    """Logs of a scheduled run: no ANSI codes and no wrapping at 80 columns (a scheduler's COLUMNS=80 included)."""
    import os

    import duckdb

    database = tmp_path / "w.duckdb"
    duckdb.connect(str(database)).close()
    env = {**os.environ, "MQL_DUCKDB_PATH": str(database), "COLUMNS": "80"}
    done = subprocess.run([sys.executable, "-m", "scripts.cli", "query", "select repeat('x', 150) as long_value"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=True)
    assert "x" * 150 in done.stdout
    assert "\x1b[" not in done.stdout
    failed = subprocess.run([sys.executable, "-m", "scripts.cli", "query", "select * from no_such_table"],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False)
    assert failed.returncode == 1 and len(failed.stderr.strip().splitlines()) == 1 and "\x1b[" not in failed.stderr


def test_run_and_test_results_are_kept_in_the_warehouse(built_warehouse: Path, tmp_path: Path) -> None:
    """Every node result of a build and of a later `mql test` is in ops.dbt_node_results, one invocation after
    the other: the history stays in the warehouse, not only in the last run_results.json."""
    import shutil

    import duckdb

    database = tmp_path / "copy.duckdb"
    shutil.copy(built_warehouse, database)
    with use_database(database):
        result = CliRunner().invoke(app, ["test", "--select", "stg_crm__contacts"])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = dict(connection.execute(
            "select command || ':' || resource_type || ':' || status, count(*) from ops.dbt_node_results "
            "group by 1").fetchall())
        invocations = connection.execute(
            "select count(distinct invocation_id) from ops.dbt_node_results").fetchone()[0]
        dim_leads = connection.execute("select status from ops.dbt_node_results "
                                       "where unique_id = 'model.mql_warehouse.dim_leads'").fetchall()
    assert invocations == 2
    assert dim_leads == [("success",)]
    assert rows["build:test:pass"] > 200 and rows["build:unit_test:pass"] > 20
    assert rows["test:test:pass"] >= 5


def test_summary_without_a_warehouse_is_one_line(tmp_path: Path) -> None:
    """It printed DuckDB's IOException as a traceback."""
    with use_database(tmp_path / "missing.duckdb"):
        result = CliRunner().invoke(app, ["summary"], env={"COLUMNS": "200"})
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert len(lines) == 1 and "no warehouse yet" in lines[0]


def test_json_log_format_makes_every_line_json_dbt_included(built_warehouse: Path, tmp_path: Path) -> None:
    """`mql --log-format json test --target dev` writes one JSON object per line, mql's own and dbt's (dbt in its
    own JSON log format), so a log collector parses a scheduled run without scraping text."""
    import json
    import os
    import shutil

    database = tmp_path / "copy.duckdb"
    shutil.copy(built_warehouse, database)
    env = {**os.environ, "MQL_DUCKDB_PATH": str(database), "DBT_TARGET_PATH": str(tmp_path / "target"),
           "DBT_LOG_PATH": str(tmp_path / "logs"), "MQL_TARGET": "no_such_target"}
    done = subprocess.run([sys.executable, "-m", "scripts.cli", "--log-format", "json", "test", "--select",
                           "stg_crm__contacts", "--target", "dev"], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]  # fails on a text line
    dbt_events = [record["info"] for record in records if "info" in record]
    assert dbt_events and all("msg" in event and "ts" in event for event in dbt_events)
    # --target dev overrode MQL_TARGET (dbt fails on a target the profile does not have) and the tests ran
    assert any("PASS" in event["msg"] for event in dbt_events)
