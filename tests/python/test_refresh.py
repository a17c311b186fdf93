"""`mql refresh`: idempotent loads, a lock against overlapping runs, atomic publishing that readers can trust,
and recovery after a refresh is killed with SIGKILL at any point."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from scripts.generate import MessyConfig, generate_dataset
from scripts.paths import PROJECT_ROOT

MQL = [sys.executable, "-m", "scripts.cli"]


def _env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(MQL_DUCKDB_PATH=str(root / "build.duckdb"), MQL_SERVING_PATH=str(root / "serving.duckdb"),
               DBT_TARGET_PATH=str(root / "target"), DBT_LOG_PATH=str(root / "logs"))
    return env


def _refresh(root: Path, data: Path, *options: str, failpoint: str | None = None
             ) -> subprocess.CompletedProcess[str]:
    env = _env(root) if failpoint is None else {**_env(root), "MQL_REFRESH_FAILPOINT": failpoint}
    return subprocess.run([*MQL, "refresh", str(data), *options], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=600, check=False)


def _statuses(root: Path) -> list[str]:
    with duckdb.connect(str(root / "build.duckdb"), read_only=True) as connection:
        return [status for (status,) in connection.execute(
            "select status from ops.refresh_runs order by started_at").fetchall()]


def _publication(serving: Path) -> tuple[str, dict[str, int]]:
    with duckdb.connect(str(serving), read_only=True) as connection:
        rows = connection.execute("select run_id, table_name, row_count from _publication").fetchall()
    return rows[0][0], {table: count for _, table, count in rows}


def _rounded(row: tuple) -> tuple:
    return tuple(round(value, 9) if isinstance(value, float) else value for value in row)


def _marts(serving: Path) -> dict[str, list[tuple]]:
    """Every published mart, rows sorted, without load-time columns (they record when, not what); floats to 1e-9
    (sums over a different physical row order differ in the last bits)."""
    out: dict[str, list[tuple]] = {}
    with duckdb.connect(str(serving), read_only=True) as connection:
        for (name,) in connection.execute("select table_name from _publication").fetchall():
            columns = [c for (c,) in connection.execute(
                "select column_name from duckdb_columns() where schema_name || '.' || table_name = ? "
                "and column_name not like '%loaded_at%'", [name]).fetchall()]
            rows = connection.execute(f"select {', '.join(columns)} from {name}").fetchall()
            out[name] = sorted((_rounded(row) for row in rows), key=repr)
    return out


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small data set split in two deliveries: everything but the newest 10% of events, then those events."""
    full = tmp_path_factory.mktemp("full")
    generate_dataset(full, contacts=150, seed=9, events_per_contact=12.0, messy=MessyConfig.none(), progress=False)
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    for path in full.glob("*.parquet"):
        shutil.copy(path, first / path.name)
    events = pq.read_table(full / "events.parquet")
    cut = int(events.num_rows * 0.9)
    pq.write_table(events.slice(0, cut), first / "events.parquet")
    pq.write_table(events.slice(cut), second / "events__late.parquet")
    return first, second


@pytest.fixture(scope="module")
def refreshed_once(batches: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse after one refresh of the first delivery (build and serving files, dbt target), made once."""
    root = tmp_path_factory.mktemp("refreshed-once")
    done = _refresh(root, batches[0])
    assert done.returncode == 0, done.stderr
    return root


def _start_from(refreshed: Path, root: Path) -> None:
    """Put a private copy of the `refreshed_once` warehouse in `root` (a test then changes only its own)."""
    shutil.copytree(refreshed, root, symlinks=True, dirs_exist_ok=True)


def test_refresh_is_idempotent_and_publishes(batches: tuple[Path, Path], tmp_path: Path) -> None:
    first, second = batches
    done = _refresh(tmp_path, first)
    assert done.returncode == 0, done.stderr
    run_id, counts = _publication(tmp_path / "serving.duckdb")
    assert counts["marts.dim_leads"] > 100
    with duckdb.connect(str(tmp_path / "serving.duckdb"), read_only=True) as connection:  # the YAML docs, for BI
        columns, described = connection.execute(
            "select count(*), count(comment) from duckdb_columns() where schema_name = 'marts'").fetchone()
    assert columns > 200 and described == columns
    again = _refresh(tmp_path, first)  # same files: nothing to load, nothing to rebuild
    assert again.returncode == 0, again.stderr
    assert "no new files" in again.stdout
    assert _publication(tmp_path / "serving.duckdb")[0] == run_id
    with duckdb.connect(str(tmp_path / "build.duckdb"), read_only=True) as connection:
        loads = connection.execute("select count(*), count(distinct file_sha256) from raw._load_log").fetchone()
        runs = connection.execute("select status, phase_seconds from ops.refresh_runs order by started_at").fetchall()
    assert loads[0] == loads[1] == len(list(first.glob("*.parquet")))
    assert [r[0] for r in runs] == ["success", "no_new_data"]
    phases = json.loads(runs[0][1])  # where a successful refresh spent its time, step by step
    assert list(phases) == ["load", "build", "freshness", "publish"], phases
    assert phases["build"] > phases["load"] > 0 and phases["publish"] > 0, phases
    assert "seconds load" in done.stdout
    late = _refresh(tmp_path, second)
    assert late.returncode == 0, late.stderr
    assert _publication(tmp_path / "serving.duckdb")[0] != run_id


def test_incremental_delivery_equals_one_full_load(batches: tuple[Path, Path], refreshed_once: Path,
                                                   tmp_path: Path) -> None:
    first, second = batches
    stepwise, at_once = tmp_path / "stepwise", tmp_path / "at-once"
    both = tmp_path / "both"
    shutil.copytree(first, both)
    shutil.copy(second / "events__late.parquet", both / "events__late.parquet")
    _start_from(refreshed_once, stepwise)  # the first delivery, refreshed
    at_once.mkdir()
    for root, data in ((stepwise, second), (at_once, both)):
        result = _refresh(root, data)
        assert result.returncode == 0, result.stderr
    assert _marts(stepwise / "serving.duckdb") == _marts(at_once / "serving.duckdb")
    # the second delivery held only events, so the stepwise refresh built only what reads them
    with duckdb.connect(str(stepwise / "build.duckdb"), read_only=True) as connection:
        selections = [row[0] for row in connection.execute(
            "select build_selection from ops.refresh_runs order by started_at").fetchall()]
    assert selections == [None, "source:marketing.events+"]
    built = {r["unique_id"] for r in json.loads((stepwise / "target" / "run_results.json").read_text())["results"]}
    assert {"model.mql_warehouse.int_contact_score_history", "model.mql_warehouse.dim_leads"} <= built
    assert not {"model.mql_warehouse.stg_crm__contacts", "model.mql_warehouse.int_contact_fit_scored"} & built
    assert not {node for node in built if node.startswith("unit_test.")}
    # and published only what changed: the score history as a delta, the time spine (no inputs) kept as it was
    with duckdb.connect(str(stepwise / "serving.duckdb"), read_only=True) as connection:
        methods = dict(connection.execute("select table_name, method from _publication").fetchall())
    assert methods["marts.fct_lead_score_history"] == "delta"
    assert methods["marts.metricflow_time_spine"] == "kept"
    assert methods["marts.dim_leads"] == "copied"


def test_a_build_by_hand_or_a_full_refresh_rebuilds_and_republishes_everything(batches: tuple[Path, Path],
                                                                                refreshed_once: Path,
                                                                                tmp_path: Path) -> None:
    """A dbt build by hand between refreshes (other selection, maybe other vars) makes the next refresh build
    everything; `--full-refresh` without new files rebuilds and publishes every mart whole, with the same data."""
    _, second = batches
    _start_from(refreshed_once, tmp_path)
    by_hand = subprocess.run([str(Path(sys.executable).with_name("dbt")), "run", "--select", "dim_leads",
                              "--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT)],
                             cwd=PROJECT_ROOT, env=_env(tmp_path), capture_output=True, text=True, check=False)
    assert by_hand.returncode == 0, by_hand.stdout[-2000:]
    late = _refresh(tmp_path, second)
    assert late.returncode == 0, late.stderr
    published = _marts(tmp_path / "serving.duckdb")
    again = subprocess.run([*MQL, "refresh", str(second), "--full-refresh"], cwd=PROJECT_ROOT, env=_env(tmp_path),
                           capture_output=True, text=True, timeout=600, check=False)
    assert again.returncode == 0, again.stderr
    with duckdb.connect(str(tmp_path / "build.duckdb"), read_only=True) as connection:
        selections = [row[0] for row in connection.execute(
            "select build_selection from ops.refresh_runs order by started_at").fetchall()]
    assert selections == [None, None, None]
    with duckdb.connect(str(tmp_path / "serving.duckdb"), read_only=True) as connection:
        methods = {method for (method,) in connection.execute("select method from _publication").fetchall()}
    assert methods == {"copied"}
    assert _marts(tmp_path / "serving.duckdb") == published


def test_a_second_refresh_exits_while_one_holds_the_lock(batches: tuple[Path, Path], tmp_path: Path) -> None:
    lock_path = tmp_path / "build.duckdb.refresh.lock"
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = _refresh(tmp_path, batches[0])
    assert result.returncode == 75
    assert "another refresh is running" in result.stderr
    assert not (tmp_path / "build.duckdb").exists()


READER = """
import os, sys, time, duckdb
path, stop_file = sys.argv[1], sys.argv[2]
reads = errors = 0
runs = set()
while not os.path.exists(stop_file):
    try:
        with duckdb.connect(path, read_only=True) as c:
            published = c.execute("select run_id, table_name, row_count from _publication").fetchall()
            for run_id, table, count in published:
                if c.execute(f"select count(*) from {table}").fetchone()[0] != count:
                    raise AssertionError(f"{table} does not match publication {run_id}")
            runs.add(published[0][0])
            reads += 1
    except Exception as error:  # noqa: BLE001 - every failure counts as a reader error
        errors += 1
        print("reader error:", error, file=sys.stderr)
    time.sleep(0.02)
print(reads, errors, len(runs))
"""


# A report-like reader of the build file (as `mql report` or a careless BI tool): it opens the file read-only, holds
# it for a few queries, lets go, and comes back. DuckDB refuses a writer while it holds the file.
BUILD_READER = """
import os, sys, time, duckdb
path, stop_file = sys.argv[1], sys.argv[2]
opened = 0
while not os.path.exists(stop_file):
    try:
        with duckdb.connect(path, read_only=True) as c:
            c.execute("select count(*) from marts.dim_leads").fetchone()
            opened += 1
            time.sleep(0.4)
    except duckdb.Error:
        pass  # the refresh is writing: a reader of the build file waits its turn
    time.sleep(0.4)
print(opened)
"""


# The reading commands in a loop (`mql report`, `mql summary`, `mql query`, as a dashboard refresh or an analyst
# would run them): each reads the serving file, so none may fail and none may make a refresh wait or fail.
COMMAND_READER = """
import os, subprocess, sys, time
stop_file, out = sys.argv[1], sys.argv[2]
commands = [["report", "--no-calibration", "--out", out], ["summary"], ["query", "select count(*) from marts.dim_leads"]]
runs = failures = 0
while not os.path.exists(stop_file):
    for command in commands:
        done = subprocess.run([sys.executable, "-m", "scripts.cli", *command], capture_output=True, text=True)
        runs += 1
        if done.returncode != 0:
            failures += 1
            print(command[0], done.returncode, done.stderr.strip()[-500:], file=sys.stderr)
    time.sleep(1)  # a dashboard's pace, leaving the refresh its CPU
print(runs, failures)
"""


def test_readers_never_fail_or_see_a_mix_during_refreshes(batches: tuple[Path, Path], refreshed_once: Path,
                                                          tmp_path: Path) -> None:
    """Readers of the serving file never fail nor see a mix; `mql report`, `summary` and `query` in a loop read
    the serving file and never fail; a reader holding the build file open between the refresh's steps does not
    break the refresh either (it waits for the file, bounded). Before, such a reader (and `mql report`, which
    read the build file) made the refresh fail with "Could not set lock on file" and left the run `running`."""
    _, second = batches
    _start_from(refreshed_once, tmp_path)
    stop_file = tmp_path / "stop-reading"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(tmp_path / "serving.duckdb"), str(stop_file)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    build_reader = subprocess.Popen([sys.executable, "-c", BUILD_READER, str(tmp_path / "build.duckdb"),
                                     str(stop_file)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    commands = subprocess.Popen([sys.executable, "-c", COMMAND_READER, str(stop_file), str(tmp_path / "r.html")],
                                cwd=PROJECT_ROOT, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
    try:
        first_refresh = _refresh(tmp_path, second)
        assert first_refresh.returncode == 0, first_refresh.stderr
        third = tmp_path / "third"
        third.mkdir()
        events = pq.read_table(second / "events__late.parquet")
        pq.write_table(events.set_column(0, "event_id", [[f"X{v}" for v in events["event_id"].to_pylist()]]),
                       third / "events__again.parquet")
        second_refresh = _refresh(tmp_path, third)
        assert second_refresh.returncode == 0, second_refresh.stderr
    finally:
        stop_file.touch()
    out, err = reader.communicate(timeout=60)
    reads, errors, runs_seen = (int(v) for v in out.split())
    assert errors == 0, err
    assert reads > 20
    assert runs_seen >= 2  # the reader saw the publication change under it
    build_out, _ = build_reader.communicate(timeout=60)
    assert int(build_out) >= 5  # it did hold the build file, again and again, while the refreshes ran
    command_out, command_err = commands.communicate(timeout=300)
    command_runs, command_failures = (int(v) for v in command_out.split())
    assert command_failures == 0, command_err
    assert command_runs >= 3  # at least one report, summary and query ran during the refreshes
    assert _statuses(tmp_path) == ["success", "success", "success"]


def test_a_refresh_killed_at_any_step_is_recovered_by_the_next_one(batches: tuple[Path, Path], refreshed_once: Path,
                                                                  tmp_path: Path) -> None:
    """Killed (SIGKILL) just after its load committed, during the dbt build, or after publishing but before
    recording success (the `built` failpoint, between build and publish, recovers as a kill during the build does): the served file stays whole (the old publication or the complete new one), the
    killed run is marked `interrupted` by the next refresh, which builds the rows it left and publishes exactly what
    an uninterrupted refresh does. Before, a kill after the load left "published marts are current" forever."""
    _, second = batches
    uninterrupted = tmp_path / "uninterrupted"
    _start_from(refreshed_once, uninterrupted)
    assert _refresh(uninterrupted, second).returncode == 0
    expected = _marts(uninterrupted / "serving.duckdb")
    before_run, before_counts = _publication(refreshed_once / "serving.duckdb")
    before_marts = _marts(refreshed_once / "serving.duckdb")
    for point in ("loaded", "building", "published"):
        root = tmp_path / point
        _start_from(refreshed_once, root)
        if point == "building":  # no boundary: killed a few seconds into the run, inside dbt on most machines
            process = subprocess.Popen([*MQL, "refresh", str(second)], cwd=PROJECT_ROOT, env=_env(root),
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(6.0)
            process.send_signal(signal.SIGKILL)
            assert process.wait() == -signal.SIGKILL
        else:
            assert _refresh(root, second, failpoint=point).returncode == -signal.SIGKILL, point
        run_id, counts = _publication(root / "serving.duckdb")
        if run_id == before_run:  # killed before the swap: the previous publication is served, whole
            assert counts == before_counts and _marts(root / "serving.duckdb") == before_marts, point
        else:
            assert point == "published" and _marts(root / "serving.duckdb") == expected
        recovered = _refresh(root, second)
        assert recovered.returncode == 0, (point, recovered.stderr)
        assert "marked interrupted" in " ".join(recovered.stdout.split()), point
        assert _statuses(root) == ["success", "interrupted", "success"], point
        assert _marts(root / "serving.duckdb") == expected, point


def test_a_change_without_new_files_is_applied_and_published(batches: tuple[Path, Path], refreshed_once: Path,
                                                             tmp_path: Path) -> None:
    """Other vars (as a changed rule, seed or model would) with no new file: the refresh rebuilds and publishes,
    so BI sees the new threshold; the same settings again are current. A load failure is recorded as a run.
    Before, every such refresh said "published marts are current" and BI kept the old threshold."""
    first, _ = batches
    _start_from(refreshed_once, tmp_path)
    mqls_before = _mql_count(tmp_path / "serving.duckdb")
    lowered = _refresh(tmp_path, first, "--vars", "{mql_combined_threshold: 20, expose_pii: true}")
    assert lowered.returncode == 0, lowered.stderr
    assert _mql_count(tmp_path / "serving.duckdb") > mqls_before
    # PII and free text: the PII mart is built for trusted targets but never published; CRM free text stays out
    with duckdb.connect(str(tmp_path / "build.duckdb"), read_only=True) as connection:
        assert connection.execute("select count(*) from marts.dim_leads_pii").fetchone()[0] > 0
        assert connection.execute("select count(reason) from staging.stg_crm__lead_stage_history").fetchone()[0] > 0
    with duckdb.connect(str(tmp_path / "serving.duckdb"), read_only=True) as connection:
        served = {name for (name,) in connection.execute("select table_name from duckdb_tables()").fetchall()}
        crm_reasons = connection.execute("select count(reason) from marts.fct_lead_stage_history "
                                         "where stage_source = 'crm_stage_history'").fetchone()[0]
    assert "dim_leads_pii" not in served and "dim_leads" in served
    assert crm_reasons == 0
    again = _refresh(tmp_path, first, "--vars", "{mql_combined_threshold: 20, expose_pii: true}")
    assert again.returncode == 0 and "published marts are current" in " ".join(again.stdout.split())
    restored = _refresh(tmp_path, first)
    assert restored.returncode == 0 and _mql_count(tmp_path / "serving.duckdb") == mqls_before
    with duckdb.connect(str(tmp_path / "serving.duckdb"), read_only=True) as connection:  # the stale PII table
        assert not connection.execute("select count(*) from duckdb_tables() where table_name = 'dim_leads_pii'"
                                      ).fetchone()[0]
    # a source whose newest load is 5 days old is stale: with --fail-on-stale the refresh publishes, then exits 66
    with duckdb.connect(str(tmp_path / "build.duckdb")) as connection:
        connection.execute("update raw.campaigns set _loaded_at = _loaded_at - interval 5 days")
    stale = _refresh(tmp_path, first, "--fail-on-stale")
    assert stale.returncode == 66 and "stale" in stale.stderr and "campaigns" in stale.stderr, stale.stderr
    assert _refresh(tmp_path, tmp_path / "no-such-folder").returncode == 66
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "nonsense.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    failed = _refresh(tmp_path, broken)
    assert failed.returncode == 1 and "nonsense.csv" in failed.stderr and "Traceback" not in failed.stderr
    assert _statuses(tmp_path) == ["success", "success", "no_new_data", "success", "success", "failed"]
    with duckdb.connect(str(tmp_path / "build.duckdb"), read_only=True) as connection:
        recorded = connection.execute("select failing_node from ops.refresh_runs where status = 'failed'").fetchone()
    assert recorded == ("load",)


def _mql_count(serving: Path) -> int:
    with duckdb.connect(str(serving), read_only=True) as connection:
        return int(connection.execute("select count(*) from marts.dim_leads where is_mql").fetchone()[0])
