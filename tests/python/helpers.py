"""Helpers shared by the tests."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import TypeVar

# A minimal `mql import` mapping: one source file of leads onto the contacts table (`{file}` is the file's name).
CONTACTS_MAPPING = """
sources:
  leads: {{file: {file}}}
tables:
  contacts:
    from: leads
    columns:
      contact_id: id
      email: email
      created_at: created
      updated_at: created
"""
LEADS_CSV = "id,email,created\nc1,a@example.com,2026-01-01 10:00:00\n"

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


def mart_rows(database: Path, schema: str = "marts") -> dict[str, list[tuple[object, ...]]]:
    """Every table of `schema` in a DuckDB build: rows sorted, without the incremental state columns, doubles to
    1e-9 (sums over another physical row order differ in the last bits)."""
    import duckdb

    out: dict[str, list[tuple[object, ...]]] = {}
    with duckdb.connect(str(database), read_only=True) as connection:
        tables = [name for (name,) in connection.execute(
            "select table_name from duckdb_tables() where schema_name = ? order by 1", [schema]).fetchall()]
        for table in tables:
            columns = [name for (name,) in connection.execute(
                "select column_name from duckdb_columns() where schema_name = ? and table_name = ? order by column_index",
                [schema, table]).fetchall() if name not in MARKER_COLUMNS]
            rows = connection.execute(
                f'select {", ".join(chr(34) + c + chr(34) for c in columns)} from "{schema}"."{table}"').fetchall()
            out[table] = sorted((tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows),
                                key=repr)
    return out


Server = TypeVar("Server", bound=ThreadingHTTPServer)


@contextmanager
def serving_http(server: Server) -> Iterator[Server]:
    """Serve `server` (bound to 127.0.0.1) from a daemon thread for the block, then shut it down: the real
    receivers the webhook, sync and alert tests talk to."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
