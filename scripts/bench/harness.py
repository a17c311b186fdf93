"""Run the benchmark: generate, full refresh, 0.1% incremental refresh, lower bound, pandas; record and compare.

Each timed step runs in its own process so its peak memory (RSS, from wait4) is its own. Results go to a JSON file
and a Markdown table (BENCHMARKS.md) that keeps one row per size.
"""

from __future__ import annotations

import json
import os
import platform
import random
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from scripts.paths import PROJECT_ROOT
from scripts.publish import serving_pair


@dataclass
class Step:
    seconds: float
    peak_rss_mib: float


@dataclass
class BenchResult:
    contacts: int
    events_per_contact: float
    events: int = 0
    steps: dict[str, Step] = field(default_factory=dict)
    model_seconds: dict[str, float] = field(default_factory=dict)
    refresh_node_seconds: dict[str, float] = field(default_factory=dict)
    refresh_phase_seconds: dict[str, float] = field(default_factory=dict)  # load, build, freshness, publish
    checks: dict[str, object] = field(default_factory=dict)
    machine: dict[str, object] = field(default_factory=dict)

    def ratio(self, numerator: str, denominator: str) -> float | None:
        if numerator in self.steps and denominator in self.steps and self.steps[denominator].seconds > 0:
            return self.steps[numerator].seconds / self.steps[denominator].seconds
        return None


def run_step(name: str, command: list[str], env: dict[str, str], result: BenchResult) -> str:
    """Run one step in a child process; record wall time and the child's peak RSS; return its stdout."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    output: dict[str, str] = {}
    readers = [threading.Thread(target=lambda key=key, stream=stream: output.__setitem__(key, stream.read()))
               for key, stream in (("out", process.stdout), ("err", process.stderr))]
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(process.pid, 0)  # reaps the child and returns its own resource usage
    process.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"bench step {name} failed ({process.returncode}):\n{output.get('err', '')[-4000:]}")
    result.steps[name] = Step(round(elapsed, 2), round(usage.ru_maxrss / 1024, 1))
    return output.get("out", "")


SESSION_EVENTS = 10


def new_events_file(data_dir: Path, target_dir: Path, share: float, seed: int) -> int:
    """A delivery of `share` new events, as the next few minutes of a marketing site would bring: sessions of
    SESSION_EVENTS events by random contacts (copies of random existing events of each, new ids), one day after the
    latest event, a second apart. Late events (old timestamps) are covered by the incremental tests instead.
    Works in Arrow (no Python objects per event), so 100M events fit in memory."""
    events = pq.read_table(data_dir / "events.parquet")
    rng = random.Random(seed)
    count = max(1, int(events.num_rows * share))
    latest = datetime.fromisoformat(str(pc.max(events.column("occurred_at")).as_py())[:19])
    sampled_rows = pa.array(sorted(rng.sample(range(events.num_rows), max(1, count // SESSION_EVENTS))))
    sessions = pc.unique(events.column("contact_id").take(sampled_rows))
    candidates = events.filter(pc.is_in(events.column("contact_id"), value_set=sessions))
    by_contact: dict[str, list[int]] = {}
    for index, contact in enumerate(candidates.column("contact_id").to_pylist()):
        by_contact.setdefault(contact, []).append(index)
    picked = [rng.choice(rows) for contact in sorted(by_contact) for rows in [by_contact[contact]]
              for _ in range(SESSION_EVENTS)][:count]
    new = candidates.take(pa.array(picked))
    start = latest + timedelta(days=1)
    times = [(start + timedelta(seconds=n)).isoformat(sep=" ") for n in range(len(picked))]
    ids = [f"N{index:012d}" for index in range(len(picked))]
    new = new.set_column(new.schema.get_field_index("event_id"), "event_id", pa.array(ids))
    new = new.set_column(new.schema.get_field_index("occurred_at"), "occurred_at", pa.array(times))
    target_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(new, target_dir / "events__new.parquet")
    return len(picked)


def model_timings(target_path: Path) -> dict[str, float]:
    """Seconds per model of the last dbt invocation (run_results.json)."""
    results = json.loads((target_path / "run_results.json").read_text(encoding="utf-8"))["results"]
    return {r["unique_id"].split(".")[-1]: round(r["execution_time"], 2) for r in results
            if r["unique_id"].startswith("model.")}


def node_timings(target_path: Path) -> dict[str, float]:
    """Seconds per node kind (model, seed, test, unit_test) of the last dbt invocation, and the slowest models."""
    results = json.loads((target_path / "run_results.json").read_text(encoding="utf-8"))["results"]
    totals: dict[str, float] = {}
    for item in results:
        kind = item["unique_id"].split(".")[0]
        totals[kind] = round(totals.get(kind, 0.0) + item["execution_time"], 2)
    models = sorted(((r["execution_time"], r["unique_id"].split(".")[-1]) for r in results
                     if r["unique_id"].startswith("model.")), reverse=True)
    totals.update({f"model:{name}": round(seconds, 2) for seconds, name in models[:8]})
    return totals


def refresh_phases(database: Path) -> dict[str, float]:
    """Seconds per step (load, build, freshness, publish) of the newest refresh, from `ops.refresh_runs`."""
    with duckdb.connect(str(database), read_only=True) as connection:
        row = connection.execute(
            "select phase_seconds from ops.refresh_runs order by started_at desc limit 1").fetchone()
    return json.loads(row[0]) if row and row[0] else {}


def run_benchmark(contacts: int, events_per_contact: float, out: Path, *, with_pandas: bool = True,
                  with_full_refresh: bool = True, with_refresh: bool = True, with_lower_bound: bool = True,
                  with_dbt_run: bool = True, seed: int = 1) -> BenchResult:
    out.mkdir(parents=True, exist_ok=True)
    data, new = out / "data", out / "new"
    database, target = out / "bench.duckdb", out / "target"
    for stale in (database, out / "serving.duckdb", *serving_pair(out / "serving.duckdb")):
        stale.unlink(missing_ok=True)
    env = dict(os.environ, MQL_DUCKDB_PATH=str(database), MQL_SERVING_PATH=str(out / "serving.duckdb"),
               DBT_TARGET_PATH=str(target), DBT_LOG_PATH=str(out / "logs"))
    result = BenchResult(contacts, events_per_contact)
    result.machine = {"cores": os.cpu_count(), "memory_gib": _memory_gib(), "python": platform.python_version(),
                      "platform": platform.platform()}
    python = sys.executable
    run_step("generate", [python, "-m", "scripts.bench.steps", "generate", str(data), str(contacts),
                          str(events_per_contact), str(seed)], env, result)
    result.events = pq.ParquetFile(data / "events.parquet").metadata.num_rows
    if with_full_refresh:
        run_step("full_refresh", [python, "-m", "scripts.cli", "refresh", str(data)], env, result)
        result.model_seconds = model_timings(target)  # replaced by the models-only run's when there is one
    else:
        run_step("load", [python, "-m", "scripts.cli", "load", str(data)], env, result)
        run_step("seed", [str(Path(python).with_name("dbt")), "seed", "--project-dir", str(PROJECT_ROOT),
                          "--profiles-dir", str(PROJECT_ROOT)], env, result)
    dbt = str(Path(python).with_name("dbt"))
    dbt_run = [dbt, "run", "--full-refresh", "--project-dir", str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT)]
    if not with_full_refresh:
        # the first build (the refresh that follows then builds everything: no refresh has built this warehouse)
        run_step("dbt_run", dbt_run, env, result)
        result.model_seconds = model_timings(target)
    if with_refresh:
        # in a child process: reading 100M events holds ~12 GiB that Arrow's allocator keeps after use, and the
        # harness lives on while the lower bound runs (the 1M run was OOM-killed that way)
        added = run_step("new_events", [python, "-m", "scripts.bench.steps", "new-events", str(data), str(new),
                                        "0.001", str(seed)], env, result)
        result.checks["new_events"] = int(added.strip().splitlines()[-1])
        run_step("incremental_refresh", [python, "-m", "scripts.cli", "refresh", str(new)], env, result)
        result.refresh_node_seconds = node_timings(target)
        result.refresh_phase_seconds = refresh_phases(database)
    if with_full_refresh and with_dbt_run:
        # the models alone (no tests, no load, no publishing), the figure the lower bound is compared with; after
        # the refresh, which would otherwise see a build by hand and rebuild everything
        run_step("dbt_run", dbt_run, env, result)
        result.model_seconds = model_timings(target)
    if with_lower_bound:
        lower = run_step("lower_bound", [python, "-m", "scripts.bench.steps", "lower-bound", str(database)], env,
                         result)
        result.checks.update(json.loads(lower.strip().splitlines()[-1]))
    if with_pandas:
        new.mkdir(parents=True, exist_ok=True)
        checked = run_step("pandas", [python, "-m", "scripts.bench.steps", "pandas", str(data), str(new),
                                      str(database)], env, result)
        result.checks.update(json.loads(checked.strip().splitlines()[-1]))
    (out / "bench.json").write_text(json.dumps(asdict(result), indent=2, default=str), encoding="utf-8")
    return result


def _memory_gib() -> float:
    with open("/proc/meminfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


def markdown_row(result: BenchResult) -> str:
    def cell(name: str) -> str:
        step = result.steps.get(name)
        return f"{step.seconds:,.1f} s / {step.peak_rss_mib:,.0f} MiB" if step else "not run"

    def ratio(numerator: str, denominator: str) -> str:
        value = result.ratio(numerator, denominator)
        return f"{value:.2f}" if value is not None else "n/a"

    refresh_ratio = (ratio("incremental_refresh", "full_refresh") if "full_refresh" in result.steps
                     else ratio("incremental_refresh", "dbt_run") + " †")
    build_ratio = (ratio("dbt_run", "lower_bound") if "dbt_run" in result.steps
                   else ratio("full_refresh", "lower_bound") + " ‡")
    return (f"| {result.contacts:,} | {result.events:,} | {cell('dbt_run')} | {cell('full_refresh')} | "
            f"{cell('incremental_refresh')} | {cell('lower_bound')} | {cell('pandas')} | "
            f"{build_ratio} | {refresh_ratio} | "
            f"{ratio('pandas', 'dbt_run')} | "
            f"{result.checks.get('scores_equal', 'n/a')} / {result.checks.get('first_mql_equal', 'n/a')} |")


HEADER = ("| contacts | events | dbt run, models only (time / peak RSS) | full refresh: load, build + tests, publish | "
          "0.1% refresh | lower bound query | pandas | dbt run ÷ lower bound (‡: full refresh ÷) | 0.1% refresh ÷ full refresh (†: ÷ dbt run) | "
          "pandas ÷ dbt run | agree (scores / first MQL) |\n"
          "| ---: | ---: | --- | --- | --- | --- | --- | ---: | ---: | ---: | --- |")


def update_benchmarks_md(result: BenchResult, path: Path) -> None:
    """Replace the row for this size in the table between the markers of BENCHMARKS.md (or append it)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start, end = "<!-- bench-table:start -->", "<!-- bench-table:end -->"
    rows: dict[int, str] = {}
    if start in text and end in text:
        table = text.split(start, 1)[1].split(end, 1)[0]
        for line in table.strip().splitlines()[2:]:
            size = int(line.split("|")[1].strip().replace(",", ""))
            rows[size] = line
    rows[result.contacts] = markdown_row(result)
    block = "\n".join([start, HEADER, *[rows[k] for k in sorted(rows)], end])
    if start in text and end in text:
        text = text.split(start, 1)[0] + block + text.split(end, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
