"""`mql refresh DIR`: the scheduled job. Load new files, build, publish atomically, and log the run.

Steps, under an exclusive lock (a second refresh exits at once with EXIT_LOCKED):
1. load the files of DIR that the load log has not seen (by SHA-256), in one transaction;
2. with nothing new and a previous successful run, stop: the published marts are already current;
3. `dbt build` (incremental: only what changed is recomputed); on failure `dbt retry` once; still failing: exit
   non-zero naming the failing node;
4. `dbt source freshness`, reporting stale sources (a warning, not a failure);
5. publish the marts to the serving file (see `scripts.publish`) and record the run in `ops.refresh_runs`.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from scripts.dbt_runner import DbtError, run_dbt
from scripts.load import load_directory
from scripts.lock import exclusive_lock
from scripts.paths import PROJECT_ROOT
from scripts.publish import publish

EXIT_FAILED = 1
EXIT_LOCKED = 75  # EX_TEMPFAIL: try again later


@dataclass
class RefreshResult:
    run_id: str
    status: str = "running"
    rows_in: int = 0
    rows_out: int = 0
    rows_quarantined: int = 0
    dbt_invocation_id: str | None = None
    failing_node: str | None = None
    message: str = ""
    stale_sources: list[str] = field(default_factory=list)
    published_to: str | None = None


def _target_path() -> Path:
    return Path(os.environ.get("DBT_TARGET_PATH", PROJECT_ROOT / "target"))


def _invocation_id() -> str | None:
    results = _target_path() / "run_results.json"
    if not results.exists():
        return None
    return json.loads(results.read_text(encoding="utf-8")).get("metadata", {}).get("invocation_id")


def _stale_sources() -> list[str]:
    try:
        run_dbt(["source", "freshness"], quiet=True)
    except DbtError:
        pass  # an error-level staleness fails the command; it is reported below, not raised
    sources = _target_path() / "sources.json"
    if not sources.exists():
        return []
    results = json.loads(sources.read_text(encoding="utf-8")).get("results", [])
    return sorted(f"{r['unique_id'].split('.', 2)[-1]} ({r['status']})" for r in results
                  if r.get("status") in {"warn", "error", "runtime error"})


def _record(database: Path, result: RefreshResult, started_at: datetime, ended_at: datetime | None) -> None:
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema if not exists ops")
        connection.execute(
            "create table if not exists ops.refresh_runs (run_id varchar primary key, started_at timestamp, "
            "ended_at timestamp, status varchar, rows_in bigint, rows_out bigint, rows_quarantined bigint, "
            "dbt_invocation_id varchar, failing_node varchar, stale_sources varchar, published_to varchar)")
        connection.execute("delete from ops.refresh_runs where run_id = ?", [result.run_id])
        connection.execute(
            "insert into ops.refresh_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [result.run_id, started_at, ended_at, result.status, result.rows_in, result.rows_out,
             result.rows_quarantined, result.dbt_invocation_id, result.failing_node,
             ", ".join(result.stale_sources) or None, result.published_to])


def _last_run_succeeded(database: Path) -> bool:
    if not database.exists():
        return False
    with duckdb.connect(str(database), read_only=True) as connection:
        has_log = connection.execute(
            "select count(*) from information_schema.tables where table_schema = 'ops' "
            "and table_name = 'refresh_runs'").fetchone()
        if not has_log or not has_log[0]:
            return False
        last = connection.execute(
            "select status from ops.refresh_runs order by started_at desc limit 1").fetchone()
        return bool(last and last[0] in {"success", "no_new_data"})


def _counts(database: Path) -> tuple[int, int]:
    with duckdb.connect(str(database), read_only=True) as connection:
        marts = connection.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
        rows_out = sum(int(connection.execute(f'select count(*) from marts."{n}"').fetchone()[0]) for (n,) in marts)
        quarantined = connection.execute("select count(*) from staging.stg_quarantine__rows").fetchone()
        return rows_out, int(quarantined[0]) if quarantined else 0


def _build(full_refresh: bool = False) -> str | None:
    """`dbt build`, retried once with `dbt retry`; None on success, else dbt's message naming the failing node.
    Incremental models rebuild only what changed unless `full_refresh`."""
    try:
        run_dbt(["build", "--full-refresh"] if full_refresh else ["build"], quiet=True)
        return None
    except DbtError:
        pass
    try:
        run_dbt(["retry"], quiet=True)
        return None
    except DbtError as error:
        return str(error)


def refresh(data_dir: Path, database: Path, raw_schema: str = "raw", run_id: str | None = None,
            full_refresh: bool = False) -> RefreshResult:
    """Run one refresh; raises scripts.lock.LockHeld when another refresh holds the lock. `full_refresh` rebuilds
    the incremental models from scratch (after a change to their SQL; rule, seed and var changes are detected)."""
    result = RefreshResult(run_id=run_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8])
    with exclusive_lock(database.with_name(database.name + ".refresh.lock")):
        started_at = datetime.now(UTC).replace(tzinfo=None)
        report = load_directory(data_dir, database, raw_schema, mode="append", run_id=result.run_id)
        result.rows_in = report.rows_added
        if not report.files and not full_refresh and _last_run_succeeded(database):
            result.status = "no_new_data"
            result.message = f"no new files in {data_dir}; published marts are current"
            _record(database, result, started_at, datetime.now(UTC).replace(tzinfo=None))
            return result
        _record(database, result, started_at, None)
        failure = _build(full_refresh)
        result.dbt_invocation_id = _invocation_id()
        if failure is not None:
            result.status = "failed"
            result.message = failure
            node_lines = [line.strip() for line in failure.splitlines() if line.strip().startswith(("error:", "fail:"))]
            result.failing_node = node_lines[0].split(":", 2)[1].strip() if node_lines else None
            _record(database, result, started_at, datetime.now(UTC).replace(tzinfo=None))
            return result
        result.stale_sources = _stale_sources()
        result.rows_out, result.rows_quarantined = _counts(database)
        result.published_to = str(publish(database, result.run_id).path)
        result.status = "success"
        _record(database, result, started_at, datetime.now(UTC).replace(tzinfo=None))
        return result
