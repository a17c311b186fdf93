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
