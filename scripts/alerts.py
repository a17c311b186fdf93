"""Alerts for the scheduled jobs: `mql refresh` and `mql sync` tell someone when they failed, when sources are
stale and when MQLs went untouched past the SLA, through a webhook (signed and retried like the sync's,
`scripts.sync.webhook`) and/or a command, as configured by environment variables:

- `MQL_ALERT_WEBHOOK_URL`: POST the alert as JSON; `MQL_ALERT_WEBHOOK_SECRET` signs it (`X-MQL-Signature`);
- `MQL_ALERT_COMMAND`: run this command (split like a shell would, no shell) with the alert as JSON on stdin, for
  30 s at most (a pager CLI, `mail`, a script that posts to chat).

An alert is `{"kind", "message", "key", "at", "details"}`; `key` (kind and run id, or day for a summary) is its
idempotency key, so a receiver that sees it twice (a retry after a timeout) can drop the repeat, and a ledger beside
the build file (`alerts.json`) keeps a delivered key from going out again. `MQL_ALERT_SLA_WINDOW_HOURS` (default 24)
is the window of the SLA summary. Sending an alert never changes the job's exit code; a failed alert is one warning
line.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

WEBHOOK_ENV = "MQL_ALERT_WEBHOOK_URL"
SECRET_ENV = "MQL_ALERT_WEBHOOK_SECRET"
COMMAND_ENV = "MQL_ALERT_COMMAND"
COMMAND_TIMEOUT_SECONDS = 30
KINDS: tuple[str, ...] = ("refresh_failed", "stale_sources", "sla_breach", "volume", "sync_failed")


@dataclass(frozen=True)
class Alert:
    """One alert: what happened (`kind`), one line for people, and the details a receiver can act on."""

    kind: str
    message: str
    run_id: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.run_id}"

    def document(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "key": self.key,
                "at": datetime.now(UTC).isoformat(timespec="seconds"), "details": self.details}


def configured() -> bool:
    """An alert destination is set."""
    return bool(os.environ.get(WEBHOOK_ENV) or os.environ.get(COMMAND_ENV))


def send(alert: Alert) -> list[str]:
    """Send `alert` to every configured destination; the problems, one line each (empty: all delivered)."""
    if alert.kind not in KINDS:
        raise ValueError(f"unknown alert kind {alert.kind!r} (one of {', '.join(KINDS)})")
    problems: list[str] = []
    url, command = os.environ.get(WEBHOOK_ENV), os.environ.get(COMMAND_ENV)
    if url:
        problems += _to_webhook(url, alert)
    if command:
        problems += _to_command(command, alert)
    return problems


def _to_webhook(url: str, alert: Alert) -> list[str]:
    from scripts.sync.webhook import RetryPolicy, deliver

    secret = os.environ.get(SECRET_ENV)
    try:
        delivery = deliver(url, alert.document(), secret=secret.encode() if secret else None,
                           idempotency_key=alert.key, policy=RetryPolicy(max_attempts=3, timeout_seconds=10))
    except ValueError as error:
        return [f"${WEBHOOK_ENV}: {error}"]
    if delivery.status == "acknowledged":
        return []
    last = delivery.attempts[-1].error if delivery.attempts else ""
    return [f"alert {alert.key} to ${WEBHOOK_ENV} {delivery.status}: {last}"]


def _to_command(command: str, alert: Alert) -> list[str]:
    try:
        done = subprocess.run(shlex.split(command), input=json.dumps(alert.document()), text=True,
                              capture_output=True, timeout=COMMAND_TIMEOUT_SECONDS, check=False)
    except (OSError, ValueError, subprocess.TimeoutExpired) as error:
        return [f"alert {alert.key}: ${COMMAND_ENV} could not run: {type(error).__name__}: {error}"]
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or [""])[-1][:200]
        return [f"alert {alert.key}: ${COMMAND_ENV} exited {done.returncode}: {tail}"]
    return []


def send_once(alert: Alert, ledger: Path) -> list[str]:
    """`send`, unless an alert with the same key was delivered before (the ledger, a JSON file of keys, remembers
    what was delivered: a summary keyed by day goes out once that day, not at every refresh)."""
    sent = _read_ledger(ledger)
    if alert.key in sent:
        return []
    problems = send(alert)
    if not problems:
        sent[alert.key] = datetime.now(UTC).isoformat(timespec="seconds")
        ledger.parent.mkdir(parents=True, exist_ok=True)
        partial = ledger.with_name(ledger.name + ".partial")
        partial.write_text(json.dumps(dict(sorted(sent.items())[-LEDGER_KEYS:]), indent=1), encoding="utf-8")
        os.replace(partial, ledger)
    return problems


LEDGER_KEYS = 1000  # the newest keys the ledger keeps


def _read_ledger(ledger: Path) -> dict[str, str]:
    try:
        data = json.loads(ledger.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(key): str(value) for key, value in data.items()} if isinstance(data, dict) else {}


def sla_breaches(database: Path, window_hours: float) -> Alert | None:
    """The day's SLA summary from the marts of `database` (`marts.fct_mql_speed_to_lead`): MQL events of the last
    `window_hours` before the reference time that were not touched within the SLA although it has passed, by
    owner; None when there are none (or the mart is not there)."""
    import duckdb

    query = """
        with breached as (
            select owner_id_at_mql, qualified_at, reference_at, is_never_touched
            from marts.fct_mql_speed_to_lead
            where is_sla_measurable and not is_within_sla
                and qualified_at >= reference_at - to_microseconds(cast($1 * 3600000000 as bigint))
        )
        select coalesce(owner_id_at_mql, 'unassigned'), count(*), count(*) filter (where is_never_touched),
            max(reference_at)
        from breached group by 1 order by 2 desc, 1
    """
    try:
        with duckdb.connect(str(database), read_only=True) as connection:
            rows = connection.execute(query, [window_hours]).fetchall()
    except duckdb.Error:
        return None
    if not rows:
        return None
    total, untouched = sum(int(row[1]) for row in rows), sum(int(row[2]) for row in rows)
    reference = max(row[3] for row in rows)
    return Alert("sla_breach", f"{total} MQLs of the last {window_hours:g} h missed the speed-to-lead SLA "
                 f"({untouched} never touched), as of {reference:%Y-%m-%d %H:%M} UTC", f"{reference:%Y-%m-%d}",
                 {"mql_events": total, "never_touched": untouched, "window_hours": window_hours,
                  "reference_at": reference.isoformat(), "by_owner": {str(r[0]): int(r[1]) for r in rows}})


def failure_alert(job: str, message: str, run_id: str | None = None) -> Alert:
    """A `<job>_failed` alert (`refresh`, `sync`): the first line of `message` for people, all of it in details."""
    first = message.strip().splitlines()[0] if message.strip() else "failed"
    return Alert(f"{job}_failed", f"mql {job} failed: {first}",
                 run_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%S"), {"message": message[:4000]})


def send_all(found: list[Alert], ledger: Path) -> list[str]:
    """`send_once` each alert when a destination is configured; every problem, one line each."""
    if not configured():
        return []
    return [problem for alert in found for problem in send_once(alert, ledger)]
