"""Publish the marts to a separate serving DuckDB file that BI tools open read-only, swapped in atomically.

DuckDB lets one process write a database file and blocks other processes meanwhile, so BI must never read the
file dbt builds. After each successful build the marts are copied into a new file next to the serving file, with
a `_publication` table (run id, time, rows per table), and the new file is renamed over the serving file. A rename
is atomic on POSIX: a reader sees the old file or the new one, never a mix, and a reader that already opened the
old file keeps reading it undisturbed. A refresh killed at any point leaves the previous serving file in place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

PUBLISHED_SCHEMAS: tuple[str, ...] = ("marts",)


@dataclass(frozen=True)
class Publication:
    run_id: str
    path: Path
    tables: dict[str, int]


def serving_path(database: Path) -> Path:
    """The serving file for a build database: `$MQL_SERVING_PATH`, else `<database dir>/serving.duckdb`."""
    override = os.environ.get("MQL_SERVING_PATH")
    return Path(override) if override else database.with_name("serving.duckdb")


def publish(database: Path, run_id: str, target: Path | None = None) -> Publication:
    """Copy every table and view of the published schemas from `database` into a fresh file (views become tables:
    readers never depend on the build database) and swap it in atomically."""
    target = target or serving_path(database)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging_file = target.with_name(f".{target.name}.{run_id}.tmp")
    staging_file.unlink(missing_ok=True)
    tables: dict[str, int] = {}
    with duckdb.connect(str(staging_file)) as connection:
        connection.execute(f"attach '{database}' as build (read_only)")
        for schema in PUBLISHED_SCHEMAS:
            connection.execute(f'create schema if not exists "{schema}"')
            names = [row[0] for row in connection.execute(
                "select table_name from duckdb_tables() where database_name = 'build' and schema_name = $1 "
                "union all select view_name from duckdb_views() where database_name = 'build' and schema_name = $1 "
                "order by 1", [schema]).fetchall()]
            for name in names:
                connection.execute(f'create table "{schema}"."{name}" as select * from build."{schema}"."{name}"')
                count = connection.execute(f'select count(*) from "{schema}"."{name}"').fetchone()
                tables[f"{schema}.{name}"] = int(count[0]) if count else 0
        connection.execute("detach build")
        connection.execute(
            "create table _publication (run_id varchar, published_at timestamp, table_name varchar, row_count bigint)")
        published_at = datetime.now(UTC).replace(tzinfo=None)
        connection.executemany("insert into _publication values (?, ?, ?, ?)",
                               [(run_id, published_at, name, rows) for name, rows in tables.items()])
        connection.execute("checkpoint")
    with open(staging_file, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(staging_file, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return Publication(run_id, target, tables)
