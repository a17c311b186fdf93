"""`mql refresh DIR`: the scheduled job. Load new files, build, publish atomically, and log the run.

Steps, under an exclusive lock (a second refresh exits at once with EXIT_LOCKED):
0. record the run as `running`; a run still `running` from before was killed: it is marked `interrupted`;
1. load the files of DIR that the load log has not seen (by SHA-256), in one transaction (a failure is recorded);
2. decide from what the warehouse has built, not from whether a file arrived: when the newest build was a
   successful refresh of this very project (fingerprint) over these very raw rows, no dbt build ran since, and the
   serving file holds its publication, stop: the published marts are current. Otherwise build (rows loaded by a
   killed run, a changed rule, seed, var or model, a build by hand, a lost serving file all lead here);
3. `dbt build` (incremental: only what changed is recomputed); on failure `dbt retry` once; still failing: exit
   non-zero naming the failing node. When the project is unchanged since the last successful build, only the nodes
   downstream of the raw tables that received rows are built (`scripts.build_scope`);
4. `dbt source freshness`, reporting stale sources (a warning, not a failure);
5. publish the marts to the serving file (see `scripts.publish`) and record the run in `ops.refresh_runs`.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from scripts.build_scope import (
    PreviousBuild,
    RawState,
    build_scope,
    decode_raw_state,
    encode_raw_state,
    project_fingerprint,
    raw_state,
)
from scripts.dbt_runner import DbtError, run_dbt
from scripts.load import LoadError, load_directory
from scripts.lock import connect_writable, exclusive_lock, retry_while_busy
from scripts.paths import PROJECT_ROOT
from scripts.publish import bi_relations, publish, published_state, serving_path
from scripts.volume import volume_warnings

RUN_STATE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("project_fingerprint", "varchar"), ("raw_state", "varchar"), ("build_selection", "varchar"),
    ("phase_seconds", "varchar"), ("volume_warnings", "varchar"))
EXIT_FAILED = 1
EXIT_LOCKED = 75  # EX_TEMPFAIL: try again later
EXIT_NO_INPUT = 66  # EX_NOINPUT: the export folder is missing, or (with --fail-on-stale) a source is stale
EXIT_VOLUME = 65  # EX_DATAERR: (with --fail-on-volume) a delivery far off its table's usual size


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
    project_fingerprint: str | None = None
    raw_state: RawState | None = None
    build_selection: list[str] | None = None  # None: the whole project was built
    publication_methods: dict[str, str] = field(default_factory=dict)  # mart -> copied, kept or delta
    publication_mode: str | None = None  # in_place, copy or new (`scripts.publish.Publication.mode`)
    # wall seconds of each step that ran: load, build (dbt, with its retry), freshness, publish (counts included)
    phase_seconds: dict[str, float] = field(default_factory=dict)
    interrupted_runs: list[str] = field(default_factory=list)  # runs found `running` (killed) and so marked
    volume_warnings: list[str] = field(default_factory=list)  # deliveries far off their table's usual size


@contextmanager
def _phase(result: RefreshResult, name: str) -> Iterator[None]:
    """Times one step of a refresh into `result.phase_seconds[name]` (also when the step raises)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        result.phase_seconds[name] = round(time.perf_counter() - started, 2)


def _target_path() -> Path:
    return Path(os.environ.get("DBT_TARGET_PATH", PROJECT_ROOT / "target"))


def _invocation_id() -> str | None:
    results = _target_path() / "run_results.json"
    if not results.exists():
        return None
    return json.loads(results.read_text(encoding="utf-8")).get("metadata", {}).get("invocation_id")


def _run_dbt_when_free(command: list[str], dbt_vars: dict[str, object] | None = None) -> None:
    """`run_dbt`, started again while it fails only because a reader holds the build file (bounded wait)."""
    retry_while_busy(lambda: run_dbt(command, dbt_vars=dbt_vars, quiet=True), f"dbt {command[0]}")


def _stale_sources() -> list[str]:
    try:
        _run_dbt_when_free(["source", "freshness"])
    except DbtError:
        pass  # an error-level staleness fails the command; it is reported below, not raised
    sources = _target_path() / "sources.json"
    if not sources.exists():
        return []
    results = json.loads(sources.read_text(encoding="utf-8")).get("results", [])
    return sorted(f"{r['unique_id'].split('.', 2)[-1]} ({r['status']})" for r in results
                  if r.get("status") in {"warn", "error", "runtime error"})


def _record(database: Path, result: RefreshResult, started_at: datetime, ended_at: datetime | None) -> None:
    with connect_writable(database) as connection:
        connection.execute("create schema if not exists ops")
        connection.execute(
            "create table if not exists ops.refresh_runs (run_id varchar primary key, started_at timestamp, "
            "ended_at timestamp, status varchar, rows_in bigint, rows_out bigint, rows_quarantined bigint, "
            "dbt_invocation_id varchar, failing_node varchar, stale_sources varchar, published_to varchar)")
        for column, kind in RUN_STATE_COLUMNS:  # added after the first release: older logs lack them
            connection.execute(f"alter table ops.refresh_runs add column if not exists {column} {kind}")
        connection.execute("delete from ops.refresh_runs where run_id = ?", [result.run_id])
        connection.execute(
            "insert into ops.refresh_runs (run_id, started_at, ended_at, status, rows_in, rows_out, rows_quarantined, "
            "dbt_invocation_id, failing_node, stale_sources, published_to, project_fingerprint, raw_state, "
            "build_selection, phase_seconds, volume_warnings) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [result.run_id, started_at, ended_at, result.status, result.rows_in, result.rows_out,
             result.rows_quarantined, result.dbt_invocation_id, result.failing_node,
             ", ".join(result.stale_sources) or None, result.published_to, result.project_fingerprint,
             None if result.raw_state is None else encode_raw_state(result.raw_state),
             None if result.build_selection is None else " ".join(result.build_selection),
             json.dumps(result.phase_seconds) if result.phase_seconds else None,
             "; ".join(result.volume_warnings) or None])


def _mark_interrupted(database: Path) -> list[str]:
    """Mark every run still `running` as `interrupted` (called under the lock: no other refresh is alive, so such a
    run was killed); returns their ids."""
    if not database.exists():
        return []
    with connect_writable(database) as connection:
        present = connection.execute("select count(*) from duckdb_tables() where schema_name = 'ops' "
                                     "and table_name = 'refresh_runs'").fetchone()
        if not present or not present[0]:
            return []
        return [run_id for (run_id,) in connection.execute(
            "update ops.refresh_runs set status = 'interrupted' where status = 'running' returning run_id"
        ).fetchall()]


def _previous_build(database: Path) -> PreviousBuild | None:
    """The newest refresh that loaded or built (an `interrupted` one was killed), if any."""
    if not database.exists():
        return None
    with duckdb.connect(str(database), read_only=True) as connection:
        columns = {name for (name,) in connection.execute(
            "select column_name from duckdb_columns() where schema_name = 'ops' and table_name = 'refresh_runs'"
        ).fetchall()}
        if not {name for name, _ in RUN_STATE_COLUMNS} <= columns:
            return None
        row = connection.execute(
            "select status, project_fingerprint, raw_state, dbt_invocation_id, run_id from ops.refresh_runs "
            "where status not in ('no_new_data', 'running') order by started_at desc limit 1").fetchone()
        if not row:
            return None
        has_invocations = connection.execute(
            "select count(*) from duckdb_tables() where schema_name = 'ops' and table_name = 'dbt_invocations'"
        ).fetchone()
        last_invocation = connection.execute(
            "select invocation_id from ops.dbt_invocations order by finished_at desc limit 1").fetchone() \
            if has_invocations and has_invocations[0] else None
    return PreviousBuild(row[0] == "success", row[1], decode_raw_state(row[2]),
                         was_last_dbt_build=bool(last_invocation) and last_invocation[0] == row[3], run_id=row[4])


def _is_current(previous: PreviousBuild | None, fingerprint: str, state: RawState, served_run: str | None) -> bool:
    """True when the published marts are what a build now would publish: the newest build was a successful refresh
    of this project over these raw rows, no dbt build ran since, and the serving file holds its publication."""
    return (previous is not None and previous.succeeded and previous.was_last_dbt_build
            and previous.project_fingerprint == fingerprint and previous.raw_state == state
            and previous.run_id is not None and served_run == previous.run_id)


def _failpoint(name: str) -> None:
    """Fault injection for the recovery tests: with `MQL_REFRESH_FAILPOINT=<name>` the refresh kills itself (SIGKILL,
    as the OOM killer or a reboot would) at that step boundary: `loaded`, `built` or `published`."""
    if os.environ.get("MQL_REFRESH_FAILPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _counts(database: Path) -> tuple[int, int]:
    with duckdb.connect(str(database), read_only=True) as connection:
        marts = connection.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
        rows_out = sum(int(connection.execute(f'select count(*) from marts."{n}"').fetchone()[0]) for (n,) in marts)
        quarantined = connection.execute("select count(*) from staging.stg_quarantine__rows").fetchone()
        return rows_out, int(quarantined[0]) if quarantined else 0


def _rebuilt_models() -> set[str]:
    """Names of the models the last dbt invocation built successfully (from run_results.json)."""
    results = _target_path() / "run_results.json"
    if not results.exists():
        return set()
    return {r["unique_id"].split(".")[-1] for r in json.loads(results.read_text(encoding="utf-8"))["results"]
            if r["unique_id"].startswith("model.") and r.get("status") == "success"}


def _build(full_refresh: bool = False, select: list[str] | None = None,
           dbt_vars: dict[str, object] | None = None, exclude: str | None = None) -> tuple[str | None, set[str] | None]:
    """`dbt build` (of the `select`ed nodes, else all), retried once with `dbt retry`. Returns None on success,
    else dbt's message naming the failing node; and the models built (None when a retry hides the first attempt's
    results). Incremental models rebuild only what changed unless `full_refresh`. A scoped build tests the rows
    the incremental models just wrote (var `data_test_scope`); a whole build tests every row, so rows a failed or
    killed build left behind are tested again."""
    command = ["build", "--full-refresh"] if full_refresh else ["build"]
    if select:
        # unit tests check the SQL, not the data: the last successful build ran them on this very project
        command += ["--select", *select, "--exclude-resource-type", "unit_test"]
    if exclude:
        command += ["--exclude", exclude]
    dbt_vars = {**(dbt_vars or {}), **({} if select else {"data_test_scope": "all"})} or None
    results = _target_path() / "run_results.json"
    started = time.time()
    try:
        _run_dbt_when_free(command, dbt_vars)
        return None, _rebuilt_models()
    except DbtError as error:
        if not results.exists() or results.stat().st_mtime < started:
            return str(error), None  # failed before running a node (e.g. a compile error): nothing to retry
    try:
        _run_dbt_when_free(["retry"])
        return None, None
    except DbtError as error:
        return str(error), None


def _last_success(database: Path) -> str | None:
    """The run id of the newest successful refresh: its publication is what the serving file should hold."""
    with duckdb.connect(str(database), read_only=True) as connection:
        row = connection.execute(
            "select run_id from ops.refresh_runs where status = 'success' order by started_at desc limit 1").fetchone()
    return row[0] if row else None


def refresh(data_dir: Path, database: Path, raw_schema: str = "raw", run_id: str | None = None,
            full_refresh: bool = False, dbt_vars: dict[str, object] | None = None,
            freshness_when_current: bool = False, exclude: str | None = None) -> RefreshResult:
    """Run one refresh; raises scripts.lock.LockHeld when another refresh holds the lock. `full_refresh` rebuilds
    the incremental models from scratch (after a change to their SQL; rule, seed and var changes are detected).
    `dbt_vars` override dbt_project.yml vars for the build; they are part of the project fingerprint, so a run with
    other vars than the last one rebuilds and republishes. `freshness_when_current`: check source freshness even
    when nothing changed (sources go stale exactly when no file arrives). `exclude`: dbt nodes the build leaves
    out (part of the fingerprint too: the next refresh without it builds them)."""
    result = RefreshResult(run_id=run_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8])
    with exclusive_lock(database.with_name(database.name + ".refresh.lock")):
        started_at = datetime.now(UTC).replace(tzinfo=None)
        result.interrupted_runs = _mark_interrupted(database)
        _record(database, result, started_at, None)
        try:
            return _refresh_steps(data_dir, database, raw_schema, result, started_at, full_refresh, dbt_vars,
                                  freshness_when_current, exclude)
        except Exception as error:
            # a load error, a build file held open too long, anything unforeseen: recorded, never left `running`
            result.status, result.message = "failed", str(error)
            result.failing_node = result.failing_node or ("load" if isinstance(error, LoadError) else None)
            _record(database, result, started_at, datetime.now(UTC).replace(tzinfo=None))
            raise


def _refresh_steps(data_dir: Path, database: Path, raw_schema: str, result: RefreshResult, started_at: datetime,
                   full_refresh: bool, dbt_vars: dict[str, object] | None,
                   freshness_when_current: bool, exclude: str | None = None) -> RefreshResult:
    """Steps 1-5 of a refresh (the module docstring), under the lock, the run already recorded as `running`."""
    with _phase(result, "load"):
        report = retry_while_busy(lambda: load_directory(data_dir, database, raw_schema, mode="append",
                                                         run_id=result.run_id), f"load into {database}")
    result.rows_in = report.rows_added
    if report.files:
        result.volume_warnings = volume_warnings(database, raw_schema, report.loaded_at)
    _failpoint("loaded")
    result.raw_state = raw_state(database, raw_schema)
    result.project_fingerprint = project_fingerprint(dbt_vars=dbt_vars, exclude=exclude)
    previous = _previous_build(database)
    if not full_refresh and _is_current(previous, result.project_fingerprint, result.raw_state,
                                        published_state(serving_path(database)).run_id):
        result.status = "no_new_data"
        if freshness_when_current:
            with _phase(result, "freshness"):
                result.stale_sources = _stale_sources()
        result.message = (f"no new files in {data_dir} and nothing changed since refresh "
                          f"{previous.run_id if previous else ''}; published marts are current")
        _record(database, result, started_at, datetime.now(UTC).replace(tzinfo=None))
        return result
    scope = build_scope(previous, result.project_fingerprint, result.raw_state, full_refresh)
    result.build_selection = None if scope is None else list(scope)
    _record(database, result, started_at, None)
    previous_success = _last_success(database)
    with _phase(result, "build"):
        failure, rebuilt = _build(full_refresh, result.build_selection, dbt_vars, exclude)
    result.dbt_invocation_id = _invocation_id()
    if failure is not None:
        result.status = "failed"
        result.message = failure
        node_lines = [line.strip() for line in failure.splitlines() if line.strip().startswith(("error:", "fail:"))]
        result.failing_node = node_lines[0].split(":", 2)[1].strip() if node_lines else None
        _record(database, result, started_at, datetime.now(UTC).replace(tzinfo=None))
        return result
    _failpoint("built")
    with _phase(result, "freshness"):
        result.stale_sources = _stale_sources()
    with _phase(result, "publish"):
        result.rows_out, result.rows_quarantined = _counts(database)
        # only a scoped build continues the last success's state: anything else is published whole
        publication = publish(database, result.run_id, previous_run_id=previous_success if scope else None,
                              rebuilt=rebuilt, allowed=bi_relations(_target_path() / "manifest.json"))
    _failpoint("published")
    result.published_to = str(publication.path)
    result.publication_methods = publication.methods
    result.publication_mode = publication.mode
    result.status = "success"
    _record(database, result, started_at, datetime.now(UTC).replace(tzinfo=None))
    return result
