"""One `mql sync` to a webhook: send again what a previous sync left unanswered, then the pending changes in
bounded batches at a bounded rate, recording each batch before it is sent and its answer after (`scripts.sync.feed`).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from scripts.lock import exclusive_lock
from scripts.sync.feed import (
    Batch,
    new_batches,
    open_log,
    pending,
    record_attempts,
    record_batch,
    record_outcome,
    unfinished,
)
from scripts.sync.webhook import Delivery, RetryPolicy, deliver

FAILPOINT_ENV = "MQL_SYNC_FAILPOINT"


@dataclass
class SyncResult:
    """What a sync did: batches by final status, changes acknowledged, and batches sent again from before."""

    destination: str
    resent_batches: int = 0
    batches: dict[str, int] = field(default_factory=dict)
    changes_acknowledged: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _failpoint(name: str) -> None:
    """Fault injection for the recovery test: `MQL_SYNC_FAILPOINT=sent` kills the sync (SIGKILL) after the
    receiver answered and before the answer is recorded."""
    if os.environ.get(FAILPOINT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def sync_webhook(changes: Path, state: Path, url: str, secret: bytes | None, *, destination: str = "webhook",
                 batch_size: int = 100, batches_per_second: float = 5.0, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> SyncResult:
    """Deliver to `url` what `destination` has not acknowledged of the sync model in the warehouse file `changes`,
    with the delivery log at `state`. Raises scripts.lock.LockHeld while another sync of this log runs."""
    if batch_size < 1 or batches_per_second <= 0:
        raise ValueError(f"batch size {batch_size} and rate {batches_per_second} must be positive")
    result = SyncResult(destination)
    with exclusive_lock(state.with_name(state.name + ".lock")), open_log(state, changes) as connection:
        batches = unfinished(connection, destination)
        result.resent_batches = len(batches)
        fresh = new_batches(pending(connection, destination), destination, batch_size)
        for index, batch in enumerate([*batches, *fresh]):
            if index >= len(batches):
                record_batch(connection, batch)
            if index:
                sleep(1.0 / batches_per_second)
            delivery = deliver(url, batch.payload(), secret=secret, idempotency_key=batch.batch_id,
                               policy=policy or RetryPolicy(), sleep=sleep)
            _failpoint("sent")
            _record(connection, batch, delivery, result)
    return result


def _record(connection: duckdb.DuckDBPyConnection, batch: Batch, delivery: Delivery, result: SyncResult) -> None:
    record_attempts(connection, batch, [(attempt.number, attempt.status_code, attempt.outcome, attempt.error,
                                         attempt.elapsed_seconds) for attempt in delivery.attempts])
    record_outcome(connection, batch, delivery.status, delivery.response_code)
    result.batches[delivery.status] = result.batches.get(delivery.status, 0) + 1
    if delivery.status == "acknowledged":
        result.changes_acknowledged += len(batch.items)
        return
    last = delivery.attempts[-1].error if delivery.attempts else ""
    verb = "rejected (not sent again)" if delivery.status == "rejected" else "failed (sent again by the next sync)"
    result.errors.append(f"batch {batch.batch_id} of {len(batch.items)} changes {verb}: {last}")
