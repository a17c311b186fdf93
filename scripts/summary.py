"""Read-only summaries of a warehouse, for `mql demo` and `mql summary`: rows per layer, rows staging removed by
reason, optional values it could not use.

Two kinds of file hold them. The build file (what dbt builds) is summarised by querying it (`snapshot`). The
serving file (what `mql refresh` publishes, `scripts.publish`) holds only the marts, so each publication also
stores the build's summary beside them, in `_summary_layers` and `_summary_removals` (aggregates: no raw values):
`mql summary` then reads the serving file and never holds the file a refresh writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

LAYERS: tuple[str, ...] = ("raw", "staging", "intermediate", "marts")
LAYER_TABLE = "_summary_layers"
REMOVAL_TABLE = "_summary_removals"
UNUSABLE = "unusable_value"  # removal kind of an optional value staging nulled in a row it kept


@dataclass(frozen=True)
class LayerCount:
    schema: str
    relation: str
    rows: int | None  # None: a view the serving summary does not count (counting it would run its query)


@dataclass(frozen=True)
class Summary:
    """What `mql summary` prints of one file, and which file it was."""

    database: Path
    layers: list[LayerCount]
    # (table, removal kind, reason, rows) for every row staging removed
    removed: list[tuple[str, str, str, int]]
    # (table, column, reason, values) for every optional value staging could not use in a row it kept
    unusable: list[tuple[str, str, str, int]]
    publication: tuple[str, str] | None = None  # (run id, published at) when the file is a serving file
    notes: list[str] = field(default_factory=list)


def _relation_exists(connection: duckdb.DuckDBPyConnection, catalog: str, schema: str, name: str) -> bool:
    row = connection.execute(
        "select count(*) from duckdb_tables() where database_name = $1 and schema_name = $2 and table_name = $3 "
        "union all select count(*) from duckdb_views() where database_name = $1 and schema_name = $2 "
        "and view_name = $3", [catalog, schema, name]).fetchall()
    return any(count for (count,) in row)


def _layer_counts(connection: duckdb.DuckDBPyConnection, catalog: str, raw_schema: str, *,
                  count_views: bool) -> list[LayerCount]:
    schemas = [raw_schema, *LAYERS[1:]]
    relations = connection.execute(
        "select schema_name, table_name, false from duckdb_tables() where database_name = $1 "
        "and list_contains($2, schema_name) union all select schema_name, view_name, true from duckdb_views() "
        "where database_name = $1 and list_contains($2, schema_name) and not internal order by 1, 2",
        [catalog, schemas]).fetchall()
    counts: list[LayerCount] = []
    for schema, name, is_view in sorted(relations, key=lambda row: (schemas.index(row[0]), row[1])):
        if name.startswith("base_"):
            continue  # base models are one row per raw row: the raw count says it
        if is_view and not count_views:
            counts.append(LayerCount(schema, name, None))
            continue
        row = connection.execute(f'select count(*) from "{catalog}"."{schema}"."{name}"').fetchone()
        counts.append(LayerCount(schema, name, int(row[0]) if row else 0))
    return counts


def _grouped(connection: duckdb.DuckDBPyConnection, catalog: str, name: str, columns: str
             ) -> list[tuple[str, str, str, int]]:
    if not _relation_exists(connection, catalog, "staging", name):
        return []
    return [(str(a), str(b), str(c), int(n)) for a, b, c, n in connection.execute(
        f'select {columns}, count(*) from "{catalog}".staging.{name} group by all order by 1, 2, 3').fetchall()]


def snapshot(connection: duckdb.DuckDBPyConnection, catalog: str, raw_schema: str, *, count_views: bool = True
             ) -> tuple[list[LayerCount], list[tuple[str, str, str, int]], list[tuple[str, str, str, int]]]:
    """(rows per layer, rows removed by reason, unusable values by reason) of the build database open as `catalog`.
    `count_views`: also count views (runs each view's query; the publication leaves them uncounted)."""
    return (_layer_counts(connection, catalog, raw_schema, count_views=count_views),
            _grouped(connection, catalog, "stg_quarantine__rows", "source_table, removal_kind, reason_code"),
            _grouped(connection, catalog, "stg_quarantine__values", "source_table, column_name, reason_code"))


def store_snapshot(connection: duckdb.DuckDBPyConnection, catalog: str, raw_schema: str) -> None:
    """Write the summary of the build database open as `catalog` into the current database (a serving file being
    published, inside its transaction), replacing the previous one."""
    layers, removed, unusable = snapshot(connection, catalog, raw_schema, count_views=False)
    connection.execute(f"create or replace table {LAYER_TABLE} (schema_name varchar, relation_name varchar, "
                       "row_count bigint)")
    connection.execute(f"create or replace table {REMOVAL_TABLE} (source_table varchar, removal_kind varchar, "
                       "column_name varchar, reason_code varchar, row_count bigint)")
    if layers:
        connection.executemany(f"insert into {LAYER_TABLE} values (?, ?, ?)",
                               [(item.schema, item.relation, item.rows) for item in layers])
    rows = [(table, kind, None, reason, count) for table, kind, reason, count in removed] + [
        (table, UNUSABLE, column, reason, count) for table, column, reason, count in unusable]
    if rows:
        connection.executemany(f"insert into {REMOVAL_TABLE} values (?, ?, ?, ?, ?)", rows)


def _read_stored(connection: duckdb.DuckDBPyConnection, database: Path) -> Summary:
    publication = connection.execute(
        "select any_value(run_id), cast(max(published_at) as varchar) from _publication").fetchone()
    catalog = str(connection.execute("select current_database()").fetchone()[0])
    if not _relation_exists(connection, catalog, "main", LAYER_TABLE):
        # published before the summary was stored: the publication's own mart counts
        layers = [LayerCount(*str(name).split(".", 1), int(rows)) for name, rows in connection.execute(
            "select table_name, row_count from _publication order by 1").fetchall()]
        return Summary(database, layers, [], [], (str(publication[0]), str(publication[1])) if publication else None,
                       ["this publication holds no staging summary: the next refresh stores it"])
    layers = [LayerCount(str(schema), str(name), None if rows is None else int(rows)) for schema, name, rows in
              connection.execute(f"select schema_name, relation_name, row_count from {LAYER_TABLE}").fetchall()]
    removals = connection.execute(f"select source_table, removal_kind, column_name, reason_code, row_count "
                                  f"from {REMOVAL_TABLE} order by 1, 2, 3, 4").fetchall()
    removed = [(str(t), str(k), str(r), int(n)) for t, k, _, r, n in removals if k != UNUSABLE]
    unusable = [(str(t), str(c), str(r), int(n)) for t, k, c, r, n in removals if k == UNUSABLE]
    return Summary(database, layers, removed, unusable,
                   (str(publication[0]), str(publication[1])) if publication else None)


def read_summary(database: Path, raw_schema: str = "raw") -> Summary:
    """The summary of a serving file (what its publication stored) or of a build file (queried now)."""
    with duckdb.connect(str(database), read_only=True) as connection:
        catalog = str(connection.execute("select current_database()").fetchone()[0])
        if _relation_exists(connection, catalog, "main", "_publication"):
            return _read_stored(connection, database)
        layers, removed, unusable = snapshot(connection, catalog, raw_schema)
        return Summary(database, layers, removed, unusable)
