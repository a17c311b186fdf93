"""Read-only access to the built warehouse for the report: query results as small typed tables."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

MARTS = "marts"
SEEDS = "seeds"


class MissingData(LookupError):
    """A relation (or column) a chart needs is not in the warehouse; the message says which and what to run."""


@dataclass(frozen=True)
class Table:
    """A query result: column names, rows, and where the numbers came from (shown under the chart)."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    source: str = ""

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def is_empty(self) -> bool:
        """No rows."""
        return not self.rows

    def column(self, name: str) -> list[Any]:
        """All values of one column, in row order."""
        index = self.columns.index(name)
        return [row[index] for row in self.rows]

    def records(self) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column name."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass
class Warehouse:
    """A read-only DuckDB connection plus a cached view of which relations and columns exist."""

    connection: duckdb.DuckDBPyConnection
    _columns: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        rows = self.connection.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
        ).fetchall()
        found: dict[tuple[str, str], set[str]] = {}
        for schema, name, column in rows:
            found.setdefault((str(schema), str(name)), set()).add(str(column))
        self._columns = {key: frozenset(value) for key, value in found.items()}

    def has(self, schema: str, name: str, columns: Sequence[str] = ()) -> bool:
        """The relation exists and has every listed column."""
        present = self._columns.get((schema, name))
        return present is not None and set(columns) <= present

    def require(self, schema: str, name: str, columns: Sequence[str] = ()) -> None:
        """Raise MissingData unless the relation exists with the listed columns."""
        if not self.has(schema, name, columns):
            present = self._columns.get((schema, name))
            if present is None:
                raise MissingData(f"{schema}.{name} is not built yet: run `mql build`")
            missing = ", ".join(sorted(set(columns) - present))
            raise MissingData(f"{schema}.{name} has no column {missing}: rebuild with `mql build`")

    def query(self, sql: str, parameters: Sequence[object] = (), *, source: str) -> Table:
        """Run one read-only query and return its rows."""
        cursor = self.connection.execute(sql, list(parameters))
        columns = tuple(str(item[0]) for item in (cursor.description or ()))
        return Table(columns=columns, rows=[tuple(row) for row in cursor.fetchall()], source=source)


@contextmanager
def open_warehouse(database: Path) -> Iterator[Warehouse]:
    """Open the DuckDB file read-only (FileNotFoundError when it does not exist)."""
    if not database.exists():
        raise FileNotFoundError(f"no warehouse at {database}: run `mql build` (or `mql demo`) first")
    connection = duckdb.connect(str(database), read_only=True)
    try:
        yield Warehouse(connection)
    finally:
        connection.close()
