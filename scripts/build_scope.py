"""What a refresh must rebuild: only the dbt nodes downstream of the raw tables that changed, when nothing else
could have changed since the last successful build.

A model's result depends on the project (SQL, macros, seeds, vars, tests), the compile-time environment, the
tool versions and the raw data. If all of these are what the last successful build used (same fingerprint), no
other dbt build ran on the warehouse since (`ops.dbt_invocations`, written by an `on-run-end` hook), and only raw
tables T changed (row count or newest `_loaded_at` differs), then only descendants of T can change, and
`dbt build --select source:<T>+` produces what a whole build would: every other model already holds its result
for the same inputs. Anything else (no previous build, a failed or interrupted one, a build by hand, a changed
file or var, a full refresh) rebuilds everything.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import duckdb

from scripts.contract import ContractTable, load_contract
from scripts.paths import PROJECT_ROOT

# dbt's inputs: these project paths (their dbt files; not tests/python) decide what dbt builds.
PROJECT_INPUTS: tuple[str, ...] = ("models", "macros", "seeds", "tests", "snapshots", "analyses", "dbt_project.yml",
                                   "profiles.yml", "packages.yml", "selectors.yml")
DBT_FILE_SUFFIXES: tuple[str, ...] = (".sql", ".yml", ".yaml", ".csv", ".md")
# Environment variables the project reads while compiling (profiles.yml, sources).
COMPILE_ENVIRONMENT: tuple[str, ...] = ("MQL_TARGET", "MQL_RAW_SCHEMA")
TOOLS: tuple[str, ...] = ("dbt-core", "dbt-duckdb", "duckdb")

# A raw table's state: its row count and newest `_loaded_at` (ISO text), by table name.
RawState = dict[str, tuple[int, str | None]]


@dataclass(frozen=True)
class PreviousBuild:
    """The newest refresh that ran a build: whether it succeeded, the project fingerprint and raw state it built,
    and whether it was the last dbt build on the warehouse (no build by hand since)."""

    succeeded: bool
    project_fingerprint: str | None
    raw_state: RawState | None
    was_last_dbt_build: bool = True
    run_id: str | None = None


def _tool_versions() -> str:
    found = []
    for name in TOOLS:
        try:
            found.append(f"{name}={version(name)}")
        except PackageNotFoundError:
            found.append(f"{name}=none")
    return "\n".join(found)


def project_fingerprint(root: Path = PROJECT_ROOT, dbt_vars: dict[str, object] | None = None,
                        exclude: str | None = None) -> str:
    """SHA-256 over every dbt input file of the project (path and bytes), the compile-time environment (the target
    among it), the vars and `--exclude` given on the command line and the versions of dbt, the adapter and DuckDB."""
    digest = hashlib.sha256(_tool_versions().encode())
    if dbt_vars:
        digest.update(("\nvars=" + json.dumps(dbt_vars, sort_keys=True, default=str)).encode())
    if exclude:
        digest.update(f"\nexclude={exclude}".encode())
    for name in COMPILE_ENVIRONMENT:
        digest.update(f"\n{name}={os.environ.get(name, '')}".encode())
    files: list[Path] = []
    for entry in PROJECT_INPUTS:
        path = root / entry
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in DBT_FILE_SUFFIXES
                            and not {"__pycache__", "python"} & set(p.relative_to(root).parts))
        elif path.exists():
            files.append(path)
    for path in files:
        digest.update(f"\n{path.relative_to(root).as_posix()}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def raw_state(database: Path, raw_schema: str) -> RawState:
    """Row count and newest `_loaded_at` of every raw contract table present in the warehouse."""
    tables = load_contract()
    state: RawState = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        present = {name for (name,) in connection.execute(
            "select table_name from duckdb_tables() where schema_name = ?", [raw_schema]).fetchall()}
        for name in sorted(present & set(tables)):
            rows, loaded_at = connection.execute(
                f'select count(*), cast(max(_loaded_at) as varchar) from "{raw_schema}"."{name}"').fetchone()
            state[name] = (int(rows), loaded_at)
    return state


def encode_raw_state(state: RawState) -> str:
    return json.dumps(state, sort_keys=True)


def decode_raw_state(text: str | None) -> RawState | None:
    if not text:
        return None
    return {name: (int(rows), loaded_at) for name, (rows, loaded_at) in json.loads(text).items()}


def changed_tables(previous: RawState, current: RawState) -> list[str]:
    """Raw tables whose row count or newest load differs, or that appeared or disappeared."""
    return sorted(name for name in set(previous) | set(current) if previous.get(name) != current.get(name))


def selection(tables: Iterable[str], contract: dict[str, ContractTable] | None = None) -> list[str]:
    """dbt selectors for every node downstream of the given raw tables."""
    contract = contract if contract is not None else load_contract()
    return [f"source:{contract[name].source_name}.{name}+" for name in sorted(tables)]


def build_scope(previous: PreviousBuild | None, fingerprint: str, current: RawState,
                full_refresh: bool) -> Sequence[str] | None:
    """The `--select` arguments for this refresh's build, or None to build everything."""
    if (full_refresh or previous is None or not previous.succeeded or not previous.was_last_dbt_build
            or previous.project_fingerprint != fingerprint or previous.raw_state is None):
        return None
    return selection(changed_tables(previous.raw_state, current)) or None
