"""Publish the marts to a separate serving DuckDB file that BI tools open read-only, swapped in atomically.

DuckDB lets one process write a database file and blocks other processes meanwhile, so BI must never read the
file dbt builds. After each successful build the marts are written into a new file next to the serving file, with
a `_publication` table (run id, time, rows per table), and the new file is renamed over the serving file. A rename
is atomic on POSIX: a reader sees the old file or the new one, never a mix, and a reader that already opened the
old file keeps reading it undisturbed. A refresh killed at any point leaves the previous serving file in place.

Cost proportional to the change: when the serving file holds the publication of the build this one continued
(`previous_run_id`), the new file starts as a byte copy of it, and only what the build changed is rewritten:
- marts the build did not rebuild (`rebuilt`) are kept as they are;
- marts with a `_batch_loaded_at` column (the score history, kept incrementally per contact) get a delta: the rows
  of every contact with rows newer than the published ones, or with no rows left, are replaced;
- every other rebuilt mart is copied whole.
Anything else (no serving file, another run's, a mart whose columns changed) is copied whole.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

PUBLISHED_SCHEMAS: tuple[str, ...] = ("marts",)
BATCH_COLUMN = "_batch_loaded_at"
DELTA_KEY = "contact_id"  # the unit an incremental mart is rewritten in (`replace_contacts`)


@dataclass(frozen=True)
class Publication:
    run_id: str
    path: Path
    tables: dict[str, int]
    # how each mart got into the new file: "copied", "kept" or "delta"
    methods: dict[str, str]


def serving_path(database: Path) -> Path:
    """The serving file for a build database: `$MQL_SERVING_PATH`, else `<database dir>/serving.duckdb`."""
    override = os.environ.get("MQL_SERVING_PATH")
    return Path(override) if override else database.with_name("serving.duckdb")


def published_run_id(target: Path) -> str | None:
    """The run id of the publication in a serving file, or None when there is none or it cannot be read."""
    if not target.exists():
        return None
    try:
        with duckdb.connect(str(target), read_only=True) as connection:
            row = connection.execute("select min(run_id) from _publication").fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _columns(connection: duckdb.DuckDBPyConnection, database: str, schema: str, name: str) -> list[tuple[str, str]]:
    return [(column, kind) for column, kind in connection.execute(
        "select column_name, data_type from duckdb_columns() where database_name = ? and schema_name = ? "
        "and table_name = ? order by column_index", [database, schema, name]).fetchall()]


def _apply_delta(connection: duckdb.DuckDBPyConnection, relation: str, source: str) -> bool:
    """Replace the rows of the contacts `source` rewrote since `relation` was published (a batch at or after the
    newest published one: a build whose raw high-water mark did not move stamps its rows with the same value),
    and drop contacts `source` no longer has. False when a delta does not apply: `relation` is empty, or every row
    of `source` is of one batch (it was rewritten whole: a copy is cheaper)."""
    published_through = connection.execute(f"select max({BATCH_COLUMN}) from {relation}").fetchone()
    batches = connection.execute(f"select min({BATCH_COLUMN}), max({BATCH_COLUMN}) from {source}").fetchone()
    if not published_through or published_through[0] is None or not batches or batches[0] == batches[1]:
        return False
    connection.execute(
        f"delete from {relation} as published "
        f"where exists (select 1 from (select distinct {DELTA_KEY} from {source} where {BATCH_COLUMN} >= $1) "
        f"as changed where changed.{DELTA_KEY} = published.{DELTA_KEY}) "
        f"or not exists (select 1 from (select distinct {DELTA_KEY} from {source}) as built "
        f"where built.{DELTA_KEY} = published.{DELTA_KEY})", [published_through[0]])
    connection.execute(f"insert into {relation} select * from {source} where {BATCH_COLUMN} >= $1",
                       [published_through[0]])
    return True


def _publish_schema(connection: duckdb.DuckDBPyConnection, schema: str, carried: bool,
                    rebuilt: Collection[str] | None) -> dict[str, str]:
    connection.execute(f'create schema if not exists "{schema}"')
    names = [row[0] for row in connection.execute(
        "select table_name from duckdb_tables() where database_name = 'build' and schema_name = $1 "
        "union all select view_name from duckdb_views() where database_name = 'build' and schema_name = $1 "
        "order by 1", [schema]).fetchall()]
    here = connection.execute("select current_database()").fetchone()[0]
    published = {row[0] for row in connection.execute(
        "select table_name from duckdb_tables() where database_name = $1 and schema_name = $2",
        [here, schema]).fetchall()}
    for stale in published - set(names):
        connection.execute(f'drop table "{schema}"."{stale}"')
    methods: dict[str, str] = {}
    for name in names:
        relation, source = f'"{schema}"."{name}"', f'build."{schema}"."{name}"'
        columns = _columns(connection, "build", schema, name)
        same_shape = carried and name in published and _columns(connection, here, schema, name) == columns
        if same_shape and rebuilt is not None and name not in rebuilt:
            methods[name] = "kept"
            continue
        if same_shape and BATCH_COLUMN in dict(columns) and DELTA_KEY in dict(columns) and _apply_delta(
                connection, relation, source):
            methods[name] = "delta"
            continue
        connection.execute(f"drop table if exists {relation}")
        connection.execute(f"create table {relation} as select * from {source}")
        methods[name] = "copied"
    return methods


def publish(database: Path, run_id: str, target: Path | None = None, *, previous_run_id: str | None = None,
            rebuilt: Collection[str] | None = None) -> Publication:
    """Write every table and view of the published schemas of `database` into a fresh file (views become tables:
    readers never depend on the build database) and swap it in atomically. `previous_run_id`: the run whose build
    this build continued; if the serving file holds its publication, only what changed is rewritten. `rebuilt`:
    names of the marts this build rebuilt (None: all)."""
    target = target or serving_path(database)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging_file = target.with_name(f".{target.name}.{run_id}.tmp")
    staging_file.unlink(missing_ok=True)
    carried = previous_run_id is not None and published_run_id(target) == previous_run_id
    if carried:
        shutil.copyfile(target, staging_file)
    tables: dict[str, int] = {}
    methods: dict[str, str] = {}
    with duckdb.connect(str(staging_file)) as connection:
        connection.execute("attach " + _quote_literal(str(database)) + " as build (read_only)")
        for schema in PUBLISHED_SCHEMAS:
            schema_methods = _publish_schema(connection, schema, carried, rebuilt)
            for name, method in schema_methods.items():
                methods[f"{schema}.{name}"] = method
                count = connection.execute(f'select count(*) from "{schema}"."{name}"').fetchone()
                tables[f"{schema}.{name}"] = int(count[0]) if count else 0
        connection.execute("detach build")
        connection.execute("drop table if exists _publication")
        connection.execute(
            "create table _publication (run_id varchar, published_at timestamp, table_name varchar, row_count bigint, "
            "method varchar)")
        published_at = datetime.now(UTC).replace(tzinfo=None)
        connection.executemany("insert into _publication values (?, ?, ?, ?, ?)",
                               [(run_id, published_at, name, rows, methods[name]) for name, rows in tables.items()])
        connection.execute("checkpoint")
    with open(staging_file, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(staging_file, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return Publication(run_id, target, tables, methods)
