"""What a refresh must rebuild: only the dbt nodes downstream of the raw tables that received rows, when nothing else
could have changed since the last successful build.

A model's result depends on the project (SQL, macros, seeds, vars, tests), the compile-time environment and the raw
data. If the project and environment are byte-for-byte what the last successful build used (same fingerprint) and
only raw tables T received rows since that build, then only descendants of T can change, and
`dbt build --select source:<T>+` produces exactly what a whole build would: every other model already holds its
result for the same inputs. Anything else (no previous build, a failed or interrupted one, a changed file or var,
a full refresh) rebuilds everything.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from scripts.contract import ContractTable, load_contract
from scripts.paths import PROJECT_ROOT

# Everything under these paths of the project decides what dbt builds.
PROJECT_INPUTS: tuple[str, ...] = ("models", "macros", "seeds", "tests", "snapshots", "dbt_project.yml",
                                   "profiles.yml", "packages.yml", "selectors.yml")
# Environment variables the project reads while compiling (profiles.yml, sources).
COMPILE_ENVIRONMENT: tuple[str, ...] = ("MQL_TARGET", "MQL_RAW_SCHEMA")


@dataclass(frozen=True)
class PreviousBuild:
    """The newest refresh that ran a build: whether it succeeded, the project fingerprint it built and the newest
    raw load it covered."""

    succeeded: bool
    project_fingerprint: str | None
    raw_loaded_through: datetime | None


def project_fingerprint(root: Path = PROJECT_ROOT) -> str:
    """SHA-256 over every project input file (path and bytes), the compile-time environment and the dbt version."""
    from dbt.version import __version__ as dbt_version

    digest = hashlib.sha256(f"dbt={dbt_version}\n".encode())
    for name in COMPILE_ENVIRONMENT:
        digest.update(f"{name}={os.environ.get(name, '')}\n".encode())
    files: list[Path] = []
    for entry in PROJECT_INPUTS:
        path = root / entry
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path] if path.exists() else []
    for path in files:
        digest.update(f"{path.relative_to(root).as_posix()}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def raw_load_times(database: Path, raw_schema: str) -> dict[str, datetime]:
    """The newest `_loaded_at` of every raw contract table present in the warehouse, by table name."""
    tables = load_contract()
    times: dict[str, datetime] = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        present = {name for (name,) in connection.execute(
            "select table_name from duckdb_tables() where schema_name = ?", [raw_schema]).fetchall()}
        for name in sorted(present & set(tables)):
            row = connection.execute(f'select max(_loaded_at) from "{raw_schema}"."{name}"').fetchone()
            if row and row[0] is not None:
                times[name] = row[0]
    return times


def tables_loaded_since(load_times: dict[str, datetime], since: datetime) -> list[str]:
    """Raw tables with rows loaded after `since`."""
    return sorted(name for name, loaded_at in load_times.items() if loaded_at > since)


def selection(tables: Iterable[str], contract: dict[str, ContractTable] | None = None) -> list[str]:
    """dbt selectors for every node downstream of the given raw tables."""
    contract = contract if contract is not None else load_contract()
    return [f"source:{contract[name].source_name}.{name}+" for name in sorted(tables)]


def build_scope(previous: PreviousBuild | None, fingerprint: str, load_times: dict[str, datetime],
                full_refresh: bool) -> Sequence[str] | None:
    """The `--select` arguments for this refresh's build, or None to build everything."""
    if (full_refresh or previous is None or not previous.succeeded
            or previous.project_fingerprint != fingerprint or previous.raw_loaded_through is None):
        return None
    changed = tables_loaded_since(load_times, previous.raw_loaded_through)
    return selection(changed) or None
