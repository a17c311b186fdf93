"""Helpers shared by the tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Incremental state columns: which build wrote a row, not what the row says (they differ between equal warehouses
# built at different times).
MARKER_COLUMNS = ("_batch_loaded_at", "_state_fingerprint")


@contextmanager
def use_database(database: Path) -> Iterator[Path]:
    """Point the CLI and dbt (through MQL_DUCKDB_PATH) at `database` for the duration of the block."""
    previous = os.environ.get("MQL_DUCKDB_PATH")
    os.environ["MQL_DUCKDB_PATH"] = str(database)
    try:
        yield database
    finally:
        if previous is None:
            os.environ.pop("MQL_DUCKDB_PATH", None)
        else:
            os.environ["MQL_DUCKDB_PATH"] = previous
