"""Run dbt in-process through its programmatic entry point (`dbtRunner`), always against this project."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass

from dbt.cli.main import dbtRunner, dbtRunnerResult

from scripts.paths import PROJECT_ROOT


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


def run_dbt(args: Sequence[str], *, dbt_vars: dict[str, object] | None = None, quiet: bool = False) -> dbtRunnerResult:
    """Invoke `dbt <args>` on this project; raise DbtError (naming the failing nodes) unless it succeeds."""
    command = [*args, "--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT)]
    if dbt_vars:
        command += ["--vars", json.dumps(dbt_vars)]
    if quiet:
        command = ["--quiet", *command]
    previous = os.getcwd()
    os.chdir(PROJECT_ROOT)  # relative DuckDB paths in profiles.yml resolve from the project root
    try:
        result = dbtRunner().invoke(command)
    finally:
        os.chdir(previous)
    if not result.success:
        failures = _failures(result)
        lines = [f"dbt {' '.join(args)} failed"]
        lines += [f"  {f.status}: {f.unique_id}: {f.message}" for f in failures]
        if result.exception is not None:
            lines.append(f"  {type(result.exception).__name__}: {result.exception}")
        raise DbtError("\n".join(lines))
    return result
