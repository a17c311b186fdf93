"""`mql sync`: deliver the lead changes sales cares about (`marts.fct_crm_sync_changes`) to a CRM webhook."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from scripts import paths
from scripts.terminal import make_console

if TYPE_CHECKING:
    from scripts.alerts import Alert

console = make_console()
error_console = make_console(stderr=True)

URL_ENV = "MQL_SYNC_WEBHOOK_URL"
SECRET_ENV = "MQL_SYNC_WEBHOOK_SECRET"
EXIT_LOCKED = 75


def _fail(message: str, code: int = 1) -> None:
    error_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


CRM_FILES: tuple[str, ...] = ("hubspot", "salesforce")


def sync(
    to: Annotated[str, typer.Option(
        help="Where to deliver: webhook (signed JSON batches), or hubspot / salesforce (one CSV import file).")]
        = "webhook",
    out: Annotated[Path, typer.Option(help="Folder for --to hubspot/salesforce files.")]
        = paths.WAREHOUSE_DIR / "crm-exports",
    mapping: Annotated[Path | None, typer.Option(
        help="CRM mapping YAML for a file export (default mappings/crm/<to>.yml).")] = None,
    url: Annotated[str | None, typer.Option(help=f"The webhook's URL (default ${URL_ENV}).")] = None,
    secret_env: Annotated[str, typer.Option(
        help="Environment variable holding the HMAC-SHA256 signing secret (X-MQL-Signature); unset: unsigned.")]
        = SECRET_ENV,
    destination: Annotated[str | None, typer.Option(
        help="Name this destination has in the delivery log (default: the --to value); one log per receiver.")]
        = None,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Changes per request at most.")] = 100,
    rate: Annotated[float, typer.Option(min=0.01, help="Requests per second at most.")] = 5.0,
    max_attempts: Annotated[int, typer.Option(min=1, max=20, help="Tries per batch (5xx, 429, timeouts).")] = 5,
    build: Annotated[bool, typer.Option("--build", help=paths.BUILD_FILE_HELP)] = False,
) -> None:
    """Deliver the changes the destination has not acknowledged (became MQL, re-qualified, grade changed,
    recycled or disqualified by sales), from the serving file, in signed JSON batches with retries. At least once
    with keys: a receiver deduplicates on each change's idempotency_key (README "Sales handoff"). Exit codes: 0
    every batch acknowledged, 1 a batch rejected or failed (a failed one is sent again next time), 75 another sync
    of this log is running."""
    from scripts.alerts import failure_alert
    from scripts.lock import LockHeld
    from scripts.sync.feed import SyncError
    from scripts.sync.run import sync_webhook
    from scripts.sync.webhook import RetryPolicy

    if to in CRM_FILES:
        _export_file(to, mapping or paths.PROJECT_ROOT / "mappings" / "crm" / f"{to}.yml", out, build,
                     destination)
        return
    if to != "webhook":
        _fail(f"--to {to}: must be webhook, {' or '.join(CRM_FILES)}")
    target = url or os.environ.get(URL_ENV)
    if not target:
        _fail(f"--to webhook needs --url or ${URL_ENV}")
        return
    secret = os.environ.get(secret_env)
    changes = paths.reading_database(build=build)
    state = paths.sync_state_path()
    try:
        result = sync_webhook(changes, state, target, secret.encode() if secret else None,
                              destination=destination or to, batch_size=batch_size, batches_per_second=rate,
                              policy=RetryPolicy(max_attempts=max_attempts))
    except LockHeld as error:
        _fail(f"another sync is running ({error}); exiting without doing anything", EXIT_LOCKED)
        return
    except (SyncError, ValueError) as error:
        _fail(str(error))
        return
    sent = ", ".join(f"{count} {status}" for status, count in sorted(result.batches.items())) or "nothing to send"
    console.print(f"sync to {result.destination}: {result.changes_acknowledged:,} changes acknowledged; batches: "
                  f"{sent}; {result.resent_batches} sent again from an earlier sync; log {state}", highlight=False)
    if not result.ok:
        _alert(failure_alert("sync", "; ".join(result.errors)))
        _fail("; ".join(result.errors))


def _alert(alert: Alert) -> None:
    from scripts import alerts

    for problem in alerts.send_all([alert], paths.duckdb_path().with_name("alerts.json")):
        error_console.print(f"[yellow]warning:[/] {problem}", highlight=False)


def _export_file(to: str, mapping_path: Path, out: Path, build: bool, destination: str | None) -> None:
    from scripts.lock import LockHeld
    from scripts.sync.feed import SyncError
    from scripts.sync.files import load_crm_mapping, sync_file

    state = paths.sync_state_path()
    try:
        crm = load_crm_mapping(mapping_path)
        if destination:
            crm = replace(crm, name=destination)
        export = sync_file(paths.reading_database(build=build), state, crm, out)
    except LockHeld as error:
        _fail(f"another sync is running ({error}); exiting without doing anything", EXIT_LOCKED)
        return
    except SyncError as error:
        _fail(str(error))
        return
    if export.path is None:
        console.print(f"sync to {crm.name}: nothing to export (every change was exported before); log {state}",
                      highlight=False)
        return
    retracted = f"; {export.retractions} retractions (an import file cannot undo them)" if export.retractions else ""
    console.print(f"sync to {crm.name} ({to}): wrote {export.path}: {export.leads:,} leads from {export.changes:,} "
                  f"changes{retracted}; log {state}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the `sync` command to the `mql` app."""
    app.command()(sync)
