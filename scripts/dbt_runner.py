"""Run dbt in-process through its programmatic entry point (`dbtRunner`), always against this project."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scripts.paths import PROJECT_ROOT
from scripts.terminal import log_format

if TYPE_CHECKING:  # dbt takes seconds to import: only commands that run it pay for it (`mql --help` stays fast)
    from dbt.cli.main import dbtRunnerResult


class DbtError(RuntimeError):
    """A dbt command failed; the message lists the failing nodes and dbt's error."""


@dataclass(frozen=True)
class NodeFailure:
    unique_id: str
    status: str
    message: str


def _failures(result: dbtRunnerResult) -> list[NodeFailure]:
    failures: list[NodeFailure] = []
    results = getattr(result.result, "results", None) or []
    for node_result in results:
        status = str(getattr(node_result, "status", ""))
        if status in {"error", "fail", "runtime error"}:
            node = getattr(node_result, "node", None)
            failures.append(NodeFailure(
                unique_id=getattr(node, "unique_id", "?"),
                status=status,
                message=str(getattr(node_result, "message", "") or "").strip(),
            ))
    return failures


def _release_duckdb() -> None:
    """Close the DuckDB handle dbt-duckdb keeps open in this process after a run, so that the CLI (or another
    process) can open the database file afterwards; DuckDB allows one writer per file."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter
        return
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
        DuckDBConnectionManager._ENV = None


def run_dbt(args: Sequence[str], *, dbt_vars: dict[str, object] | None = None, quiet: bool = False,
            project_dir: Path = PROJECT_ROOT) -> dbtRunnerResult:
    """Invoke `dbt <args>` on the project; raise DbtError (naming the failing nodes) unless it succeeds."""
    from dbt.cli.main import dbtRunner

    command = [*args, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    if quiet:
        command = ["--quiet", *command]
    if log_format() == "json":
        command = ["--log-format", "json", *command]  # one JSON object per line, as mql's own messages
    previous = os.getcwd()
    os.chdir(project_dir)  # relative DuckDB paths in profiles.yml resolve from the project root
    try:
        result = dbtRunner().invoke(command)
    finally:
        os.chdir(previous)
        _release_duckdb()
    if not result.success:
        failures = _failures(result)
        lines = [f"dbt {' '.join(args)} failed"]
        lines += [f"  {f.status}: {f.unique_id}: {f.message}" for f in failures]
        if result.exception is not None:
            lines.append(f"  {type(result.exception).__name__}: {result.exception}")
        raise DbtError("\n".join(lines))
    return result
