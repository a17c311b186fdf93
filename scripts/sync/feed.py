"""The change feed `mql sync` delivers: what `marts.fct_crm_sync_changes` holds that a destination has not
acknowledged, and the delivery log that remembers what it has.

The log is a DuckDB file of its own (`paths.sync_state_path()`, default `warehouse/sync.duckdb`), never the build
file, and the changes are read from the serving file a refresh published (attached read-only), so a sync never
makes a refresh wait and a refresh never blocks a sync. Per destination:

- `sync_batches`: one row per batch; `status` is `sending` from before the first attempt until the receiver
  answered, then `acknowledged`, `rejected` (a 4xx: not sent again) or `failed` (retries exhausted: sent again, as
  the same batch, by the next sync); `sync_batch_items` holds each batch's changes as sent (JSON);
- `sync_attempts`: every attempt of every batch (status code, outcome, error, seconds);
- `sync_acknowledged`: per change_id, the idempotency_key the destination acknowledged last (or that it was
  retracted).

The guarantee is at least once with keys: a batch is recorded before it is sent, so a sync killed between send
and record sends that same batch again (same batch id, same idempotency keys) before anything new, and the receiver
deduplicates on the keys. A change whose values moved (a late event) is a new key for a known change_id: it goes out
as a correction (`correction_of` the key it replaces); a delivered change_id the model no longer has goes out as a
retraction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from scripts.publish import quote_literal

SYNC_MODEL = "marts.fct_crm_sync_changes"
CHANGE_COLUMNS: tuple[str, ...] = (
    "change_id", "idempotency_key", "contact_id", "change_kind", "source_id", "changed_at", "lifecycle_stage",
    "mql_event_id", "mql_sequence", "grade_cell", "fit_score", "engagement_score", "total_score")
RETRACTED = "retracted"


class SyncError(RuntimeError):
    """The feed cannot be read (no serving file, no sync model, a log from elsewhere); the message says why."""


@dataclass(frozen=True)
class Batch:
    """Changes sent together: `items` are the change records (`operation` upsert or retract)."""

    batch_id: str
    destination: str
    items: list[dict[str, Any]]

    def payload(self) -> dict[str, Any]:
        return {"batch_id": self.batch_id, "destination": self.destination, "changes": self.items}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def open_log(state: Path, changes: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The delivery log at `state` (created when missing) with the warehouse file `changes` attached read-only as
    `feed`."""
    if not changes.exists():
        raise SyncError(f"{changes}: no warehouse to sync from (run `mql refresh` first, or `mql build` and --build)")
    state.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(state))
    try:
        connection.execute("set TimeZone = 'UTC'")
        connection.execute(f"attach {quote_literal(str(changes))} as feed (read_only)")
        present = connection.execute(
            "select count(*) from duckdb_tables() where database_name = 'feed' and schema_name = 'marts' "
            "and table_name = 'fct_crm_sync_changes'").fetchone()
        if not present or not present[0]:
            raise SyncError(f"{changes}: has no {SYNC_MODEL} (a warehouse built before the sales handoff: run "
                            "`mql refresh --full-refresh` or `mql build`)")
        _create_tables(connection)
        yield connection
    finally:
        connection.close()


def _create_tables(connection: duckdb.DuckDBPyConnection) -> None:
    connection.execute(
        "create table if not exists sync_batches (batch_id varchar primary key, destination varchar, "
        "created_at timestamp, status varchar, response_code integer, finished_at timestamp)")
    connection.execute(
        "create table if not exists sync_batch_items (batch_id varchar, position integer, change_id varchar, "
        "idempotency_key varchar, item varchar)")
    connection.execute(
        "create table if not exists sync_attempts (batch_id varchar, attempt integer, attempted_at timestamp, "
        "status_code integer, outcome varchar, error varchar, seconds double)")
    connection.execute(
        "create table if not exists sync_acknowledged (destination varchar, change_id varchar, "
        "idempotency_key varchar, acknowledged_at timestamp, batch_id varchar, primary key (destination, change_id))")


def unfinished(connection: duckdb.DuckDBPyConnection, destination: str) -> list[Batch]:
    """Batches recorded but never answered (`sending`: the sync was killed) or that failed: sent again first, as
    they were."""
    batches = connection.execute(
        "select batch_id from sync_batches where destination = $1 and status in ('sending', 'failed') "
        "order by created_at, batch_id", [destination]).fetchall()
    return [Batch(str(batch_id), destination, [json.loads(item) for (item,) in connection.execute(
        "select item from sync_batch_items where batch_id = $1 order by position", [batch_id]).fetchall()])
        for (batch_id,) in batches]


def pending(connection: duckdb.DuckDBPyConnection, destination: str) -> list[dict[str, Any]]:
    """The changes `destination` has not acknowledged and no open batch holds, oldest first: upserts (a correction
    names the key it replaces) and retractions of delivered changes the model no longer has."""
    columns = ", ".join(f"changes.{column}" for column in CHANGE_COLUMNS)
    in_flight = ("select items.idempotency_key from sync_batch_items as items inner join sync_batches as batches "
                 "on items.batch_id = batches.batch_id where batches.destination = $1 "
                 "and batches.status in ('sending', 'failed', 'rejected')")
    upserts = connection.execute(f"""
        select {columns}, nullif(acknowledged.idempotency_key, '{RETRACTED}') as correction_of
        from feed.{SYNC_MODEL} as changes
        left join sync_acknowledged as acknowledged
            on acknowledged.destination = $1 and acknowledged.change_id = changes.change_id
        where acknowledged.idempotency_key is distinct from changes.idempotency_key
            and changes.idempotency_key not in ({in_flight})
        order by changes.changed_at, changes.change_id
    """, [destination]).fetchall()
    items = [{"operation": "upsert", **_record(dict(zip((*CHANGE_COLUMNS, "correction_of"), row, strict=True)))}
             for row in upserts]
    retractions = connection.execute(f"""
        select acknowledged.change_id, acknowledged.idempotency_key
        from sync_acknowledged as acknowledged
        where acknowledged.destination = $1 and acknowledged.idempotency_key <> '{RETRACTED}'
            and not exists (select 1 from feed.{SYNC_MODEL} as changes
                            where changes.change_id = acknowledged.change_id)
            and 'retract:' || acknowledged.idempotency_key not in ({in_flight})
        order by acknowledged.change_id
    """, [destination]).fetchall()
    items += [{"operation": "retract", "change_id": change_id, "idempotency_key": f"retract:{key}",
               "correction_of": key} for change_id, key in retractions]
    return items


def _record(row: dict[str, Any]) -> dict[str, Any]:
    """A change as JSON-ready values: times as ISO 8601 UTC text."""
    return {key: (value.isoformat() + "Z" if isinstance(value, datetime) else value) for key, value in row.items()}


def new_batches(items: list[dict[str, Any]], destination: str, size: int) -> list[Batch]:
    """`items` in batches of at most `size`."""
    return [Batch(uuid.uuid4().hex, destination, items[start:start + size]) for start in range(0, len(items), size)]


def record_batch(connection: duckdb.DuckDBPyConnection, batch: Batch) -> None:
    """Write the batch down (status `sending`) before it is sent, committed: what a crash cannot lose."""
    connection.execute("begin transaction")
    connection.execute("insert into sync_batches values ($1, $2, $3, 'sending', null, null)",
                       [batch.batch_id, batch.destination, _now()])
    connection.executemany("insert into sync_batch_items values (?, ?, ?, ?, ?)",
                           [(batch.batch_id, position, item["change_id"], item["idempotency_key"],
                             json.dumps(item, default=str)) for position, item in enumerate(batch.items)])
    connection.execute("commit")


def record_attempts(connection: duckdb.DuckDBPyConnection, batch: Batch, attempts: list[tuple[int, int | None, str,
                    str, float]]) -> None:
    """Every attempt of a delivery: (attempt, status code, outcome, error, seconds)."""
    if attempts:
        connection.executemany("insert into sync_attempts values (?, ?, ?, ?, ?, ?, ?)",
                               [(batch.batch_id, number, _now(), code, outcome, error, seconds)
                                for number, code, outcome, error, seconds in attempts])


def record_outcome(connection: duckdb.DuckDBPyConnection, batch: Batch, status: str,
                   response_code: int | None) -> None:
    """The answer to a batch, in one transaction: its status and, when acknowledged, each change's key."""
    connection.execute("begin transaction")
    connection.execute("update sync_batches set status = $2, response_code = $3, finished_at = $4 "
                       "where batch_id = $1", [batch.batch_id, status, response_code, _now()])
    if status == "acknowledged":
        for item in batch.items:
            key = RETRACTED if item["operation"] == "retract" else item["idempotency_key"]
            connection.execute(
                "insert or replace into sync_acknowledged values ($1, $2, $3, $4, $5)",
                [batch.destination, item["change_id"], key, _now(), batch.batch_id])
    connection.execute("commit")
