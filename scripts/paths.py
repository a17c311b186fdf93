"""Where things live: the project root and the files and folders the CLI reads and writes."""

from __future__ import annotations

import os
import re
from pathlib import Path

PROJECT_ROOT: Path = Path(__file__).resolve().parent.parent
"""The dbt project root (holds dbt_project.yml and profiles.yml)."""

WAREHOUSE_DIR: Path = PROJECT_ROOT / "warehouse"
"""Git-ignored folder for DuckDB files, generated data and reports."""


def duckdb_path() -> Path:
    """The DuckDB database dbt builds into: `$MQL_DUCKDB_PATH`, else `warehouse/mql.duckdb`.

    A relative path is taken from the project root, as dbt (run with the project root as working directory) does.
    """
    raw = os.environ.get("MQL_DUCKDB_PATH", "warehouse/mql.duckdb")
    path = Path(raw)
    return path if path.is_absolute() else PROJECT_ROOT / path


ENV_VAR_CALL = re.compile(r"""\{\{\s*env_var\(\s*'([A-Za-z0-9_]+)'\s*(?:,\s*'([^']*)'\s*)?\)\s*\}\}""")


def _profile_outputs() -> dict[str, dict[str, object]]:
    import yaml

    profiles = yaml.safe_load((PROJECT_ROOT / "profiles.yml").read_text(encoding="utf-8")) or {}
    outputs = next(iter(profiles.values()), {}).get("outputs", {}) if profiles else {}
    return {str(name): dict(output) for name, output in outputs.items()}


def profile_targets() -> set[str]:
    """The target names profiles.yml defines."""
    return set(_profile_outputs())


def target_duckdb_path(target: str) -> Path | None:
    """The DuckDB file `target` of profiles.yml builds into (its `env_var(...)` calls read as dbt reads them, a
    relative path taken from the project root); None for a non-DuckDB or in-memory target."""
    output = _profile_outputs().get(target, {})
    if output.get("type") != "duckdb":
        return None
    raw = ENV_VAR_CALL.sub(lambda match: os.environ.get(match.group(1), match.group(2) or ""), str(output.get("path")))
    if raw in ("", ":memory:"):
        return None
    path = Path(raw)
    return path if path.is_absolute() else PROJECT_ROOT / path


def serving_path(database: Path | None = None) -> Path:
    """The serving file BI and every reading command open: `$MQL_SERVING_PATH`, else `serving.duckdb` beside the
    build database (`database`, default `duckdb_path()`). `mql refresh` publishes the marts there (`scripts.publish`)."""
    override = os.environ.get("MQL_SERVING_PATH")
    if override:
        path = Path(override)
        return path if path.is_absolute() else PROJECT_ROOT / path
    return (database or duckdb_path()).with_name("serving.duckdb")


def sync_state_path() -> Path:
    """The delivery log of `mql sync` (`scripts.sync.feed`): `$MQL_SYNC_STATE_PATH`, else `sync.duckdb` beside
    the build database. A file of its own, so a sync never writes the build or the serving file."""
    override = os.environ.get("MQL_SYNC_STATE_PATH")
    if override:
        path = Path(override)
        return path if path.is_absolute() else PROJECT_ROOT / path
    return duckdb_path().with_name("sync.duckdb")


BUILD_FILE_HELP = ("Read the build file instead of the serving file (it has every schema, but a reader holding it "
                   "makes a refresh wait).")
"""The `--build` option's help on every reading command."""


def reading_database(*, build: bool = False) -> Path:
    """The file a command that only reads (`report`, `query`, `summary`) opens: the serving file when a refresh has
    published one, so a reader never holds the file a refresh writes; the build file when there is no serving file
    yet (a warehouse built by `mql build` or `mql demo` only) or when `build` asks for it."""
    if not build:
        serving = serving_path()
        if serving.exists():
            return serving
    return duckdb_path()


def inside(folder: Path, name: str | Path) -> Path | None:
    """`folder / name` with symbolic links resolved, when that stays inside `folder` (itself resolved); None when it
    leads outside (`..`, an absolute path, a link to elsewhere). Commands that read or write "in a folder" use it so a
    mapping, a report or a link cannot reach files beyond the folder they were given."""
    root = folder.resolve()
    resolved = (root / name).resolve()
    return resolved if resolved == root or resolved.is_relative_to(root) else None


def raw_schema() -> str:
    """Schema the loader lands raw files into (`$MQL_RAW_SCHEMA`, default `raw`); dbt reads the same variable."""
    return os.environ.get("MQL_RAW_SCHEMA", "raw")


SOURCE_YAML_FILES: tuple[Path, ...] = (
    PROJECT_ROOT / "models" / "staging" / "crm" / "_crm__sources.yml",
    PROJECT_ROOT / "models" / "staging" / "marketing" / "_marketing__sources.yml",
)
"""The raw data contract: the sources YAML files the loader validates files against."""
