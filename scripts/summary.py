"""Read-only summaries of a built DuckDB warehouse, for `mql demo` and `mql summary`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

LAYERS: tuple[str, ...] = ("raw", "staging", "intermediate", "marts")


@dataclass(frozen=True)
class LayerCount:
    schema: str
    relation: str
    rows: int


def layer_counts(database: Path, raw_schema: str = "raw") -> list[LayerCount]:
    """Row count of every table and view in the raw, staging, intermediate and marts schemas."""
    schemas = [raw_schema, *LAYERS[1:]]
    counts: list[LayerCount] = []
    with duckdb.connect(str(database), read_only=True) as connection:
        relations = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in ({', '.join('?' for _ in schemas)}) order by 1, 2",
            schemas,
        ).fetchall()
        for schema, name in relations:
            if name.startswith("base_"):
                continue  # base models are one row per raw row: the raw count says it
            row = connection.execute(f'select count(*) from "{schema}"."{name}"').fetchone()
            counts.append(LayerCount(schema, name, int(row[0]) if row else 0))
    return counts


def quarantine_by_reason(database: Path) -> list[tuple[str, str, str, int]]:
    """(table, removal kind, reason, rows) for every row staging removed."""
    with duckdb.connect(str(database), read_only=True) as connection:
        return [
            (str(t), str(k), str(r), int(n))
            for t, k, r, n in connection.execute(
                "select source_table, removal_kind, reason_code, count(*) from staging.stg_quarantine__rows "
                "group by all order by 1, 2, 3"
            ).fetchall()
        ]


def unusable_values(database: Path) -> list[tuple[str, str, str, int]]:
    """(table, column, reason, values) for every optional value staging could not use in a row it kept."""
    with duckdb.connect(str(database), read_only=True) as connection:
        present = connection.execute("select count(*) from duckdb_views() where schema_name = 'staging' "
                                     "and view_name = 'stg_quarantine__values'").fetchone()
        if not present or not present[0]:
            return []
        return [(str(t), str(c), str(r), int(n)) for t, c, r, n in connection.execute(
            "select source_table, column_name, reason_code, count(*) from staging.stg_quarantine__values "
            "group by all order by 1, 2, 3").fetchall()]
