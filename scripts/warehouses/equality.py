"""Equality check: build the same fixture on DuckDB and on PostgreSQL or Spark, and compare every mart row by row.

Rows are sorted by the mart's primary key (the columns with a `unique` data test in the manifest; all columns when
there is none) and compared value by value: numbers within a relative tolerance (1e-6, absolute below 1), everything
else exactly (timestamps, dates, booleans, text). Differences are printed; `main()` exits non-zero on any.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal

import duckdb

from scripts.dbt_runner import run_dbt
from scripts.load import load_directory as load_duckdb
from scripts.paths import PROJECT_ROOT

TOLERANCE = 1e-6
Engine = Literal["postgres", "spark"]
ENGINES: tuple[str, ...] = ("postgres", "spark")
FIXED_LOADED_AT = datetime(2026, 7, 1, 6, 0, 0, tzinfo=UTC)
"""Both engines load with the same `_loaded_at`, so future-dated quarantine and as-of logic agree."""


@dataclass
class MartDiff:
    mart: str
    messages: list[str] = field(default_factory=list)


@dataclass
class EqualityReport:
    marts: list[str] = field(default_factory=list)
    diffs: list[MartDiff] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.marts) and not self.diffs


@contextmanager
def patched_env(values: dict[str, str]) -> Iterator[None]:
    previous = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def build_duckdb(data_dir: Path, database: Path, target_path: Path) -> float:
    """Load `data_dir` into a fresh DuckDB file and `dbt build` it; returns the seconds taken."""
    started = time.perf_counter()
    database.unlink(missing_ok=True)
    load_duckdb(data_dir, database, "raw", loaded_at=FIXED_LOADED_AT)
    with patched_env({"MQL_TARGET": "dev", "MQL_DUCKDB_PATH": str(database), "MQL_RAW_SCHEMA": "raw"}):
        run_dbt(["build", "--target-path", str(target_path)], quiet=True)
    return time.perf_counter() - started


def build_postgres(data_dir: Path, env: dict[str, str], target_path: Path) -> float:
    """Load `data_dir` into the Postgres database of `env` and `dbt build` it; returns the seconds taken."""
    from scripts.warehouses.postgres import load_directory as load_postgres

    started = time.perf_counter()
    load_postgres(data_dir, env, "raw", loaded_at=FIXED_LOADED_AT)
    with patched_env({**env, "MQL_TARGET": "postgres", "MQL_RAW_SCHEMA": "raw"}):
        run_dbt(["build", "--target-path", str(target_path)], quiet=True)
    return time.perf_counter() - started


def build_spark(data_dir: Path, target_path: Path) -> float:
    """Load `data_dir` into the local Spark metastore (`$MQL_SPARK_HOME`) and `dbt build` it on the `spark` target,
    in this process's Spark session; returns the seconds taken."""
    from scripts.warehouses.spark import load_directory as load_spark

    started = time.perf_counter()
    load_spark(data_dir, "raw", loaded_at=FIXED_LOADED_AT)
    with patched_env({"MQL_TARGET": "spark", "MQL_RAW_SCHEMA": "raw"}):
        run_dbt(["build", "--target-path", str(target_path)], quiet=True)
    return time.perf_counter() - started


def mart_keys(manifest_path: Path) -> dict[str, list[str]]:
    """Every mart model built (schema `marts`) and its primary key columns (`unique` tests), from a manifest."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    marts = {node["name"]: [] for node in manifest["nodes"].values()
             if node["resource_type"] == "model" and node.get("schema") == "marts"
             and node["config"].get("enabled", True) and node["config"].get("materialized") != "ephemeral"}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test":
            continue
        metadata = node.get("test_metadata") or {}
        column = node.get("column_name")
        if metadata.get("name") == "unique" and column and node.get("attached_node"):
            model = node["attached_node"].split(".")[-1]
            if model in marts and column not in marts[model]:
                marts[model].append(column)
    return marts


def _normalise(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _sort_key(row: dict[str, object], columns: list[str]) -> tuple:
    key = []
    for column in columns:
        value = row[column]
        key.append((value is None, "" if value is None else
                    (round(value, 6) if isinstance(value, float) else str(value) if not isinstance(value, int | bool) else value)))
    return tuple(key)


def values_equal(left: object, right: object, tolerance: float = TOLERANCE) -> bool:
    left, right = _normalise(left), _normalise(right)
    if left is None or right is None:
        return left is None and right is None
    numeric = (int, float)
    if isinstance(left, numeric) and isinstance(right, numeric) and not isinstance(left, bool) \
            and not isinstance(right, bool):
        a, b = float(left), float(right)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return abs(a - b) <= tolerance * max(1.0, abs(a), abs(b))
    return left == right


def compare_rows(mart: str, key: list[str], left: list[dict[str, object]], right: list[dict[str, object]],
                 left_name: str = "duckdb", right_name: str = "postgres", limit: int = 10) -> MartDiff | None:
    diff = MartDiff(mart)
    left_columns = list(left[0]) if left else []
    right_columns = list(right[0]) if right else []
    if left and right and set(left_columns) != set(right_columns):
        diff.messages.append(f"columns differ: only in {left_name}: {sorted(set(left_columns) - set(right_columns))}, "
                             f"only in {right_name}: {sorted(set(right_columns) - set(left_columns))}")
        return diff
    if len(left) != len(right):
        diff.messages.append(f"row count {left_name}={len(left)} {right_name}={len(right)}")
    columns = left_columns or right_columns
    order = key + [c for c in columns if c not in key]
    left_sorted = sorted(({k: _normalise(v) for k, v in row.items()} for row in left), key=lambda r: _sort_key(r, order))
    right_sorted = sorted(({k: _normalise(v) for k, v in row.items()} for row in right),
                          key=lambda r: _sort_key(r, order))
    for index, (a, b) in enumerate(zip(left_sorted, right_sorted, strict=False)):
        bad = [c for c in columns if not values_equal(a[c], b[c])]
        if bad:
            ident = {c: a[c] for c in key} if key else f"row {index}"
            for column in bad[:5]:
                diff.messages.append(f"{ident}: {column}: {left_name}={a[column]!r} {right_name}={b[column]!r}")
            if len(diff.messages) >= limit:
                diff.messages.append("... (more differences not shown)")
                break
    return diff if diff.messages else None


def _duckdb_rows(database: Path, mart: str) -> list[dict[str, object]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        result = connection.execute(f'select * from marts."{mart}"')
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def _postgres_rows(env: dict[str, str], mart: str) -> list[dict[str, object]]:
    from scripts.warehouses.postgres import connect

    connection = connect(env)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'select * from marts."{mart}"')
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        connection.close()


def _spark_rows(mart: str) -> list[dict[str, object]]:
    from scripts.warehouses.spark import fetch_rows

    return fetch_rows(f"select * from marts.`{mart}`")


def compare_marts(duckdb_path: Path, postgres_env: dict[str, str] | None, manifest_path: Path,
                  engine: Engine = "postgres") -> EqualityReport:
    """Every mart of the DuckDB build against the same mart on `engine` (PostgreSQL of `postgres_env`, or the
    local Spark session)."""
    report = EqualityReport()
    other: Callable[[str], list[dict[str, object]]]
    if engine == "spark":
        other = _spark_rows
    else:
        env = postgres_env or {}

        def other(mart: str) -> list[dict[str, object]]:
            return _postgres_rows(env, mart)
    for mart, key in sorted(mart_keys(manifest_path).items()):
        left, right = _duckdb_rows(duckdb_path, mart), other(mart)
        report.marts.append(mart)
        report.rows[mart] = len(left)
        found = compare_rows(mart, key, left, right, right_name=engine)
        if found:
            report.diffs.append(found)
    return report


def generate_fixture(out: Path, contacts: int = 300, seed: int = 7, events_per_contact: float = 30.0) -> Path:
    """The small fixture both engines build (deterministic for a seed; default messy-row rates)."""
    from datetime import date

    from scripts.generate import MessyConfig, generate_dataset

    if not (out / "_manifest.json").exists():
        generate_dataset(out, contacts=contacts, seed=seed, events_per_contact=events_per_contact, fmt="parquet",
                         end_date=date(2026, 6, 30), messy=MessyConfig(), progress=False)
    return out


def run_equality(work_dir: Path, postgres_env: dict[str, str] | None = None, contacts: int = 300,
                 seed: int = 7, engine: Engine = "postgres") -> EqualityReport:
    """Generate the fixture, build it on DuckDB and on `engine`, and compare every mart. PostgreSQL: a throwaway
    server unless `postgres_env` is given. Spark: the local session of the `spark` target, with its metastore and
    tables in `$MQL_SPARK_HOME` (default: `<work_dir>/spark`, wiped first). Timings per engine are in the report."""
    work_dir.mkdir(parents=True, exist_ok=True)
    data_dir = generate_fixture(work_dir / f"data-{contacts}-{seed}", contacts=contacts, seed=seed)
    duck = work_dir / "equality.duckdb"
    timings: dict[str, float] = {}
    timings["duckdb"] = build_duckdb(data_dir, duck, work_dir / "target-duckdb")
    if engine == "spark":
        return _run_spark(work_dir, data_dir, duck, timings)
    from scripts.warehouses import postgres

    server = None
    if postgres_env is None:
        started = time.perf_counter()
        server = postgres.start_server(database="mql_equality")
        postgres_env = server.env()
        timings["postgres_start"] = time.perf_counter() - started
    try:
        timings["postgres"] = build_postgres(data_dir, postgres_env, work_dir / "target-postgres")
        report = compare_marts(duck, postgres_env, work_dir / "target-duckdb" / "manifest.json")
    finally:
        if server is not None:
            postgres.stop_server(server)
    report.timings = timings
    return report


def _run_spark(work_dir: Path, data_dir: Path, duck: Path, timings: dict[str, float]) -> EqualityReport:
    from scripts.warehouses.spark import require_spark

    require_spark()
    home = Path(os.environ.get("MQL_SPARK_HOME") or work_dir / "spark")
    if "MQL_SPARK_HOME" not in os.environ:
        shutil.rmtree(home, ignore_errors=True)
    with patched_env({"MQL_SPARK_HOME": str(home.resolve())}):
        timings["spark"] = build_spark(data_dir, work_dir / "target-spark")
        report = compare_marts(duck, None, work_dir / "target-duckdb" / "manifest.json", engine="spark")
    report.timings = timings
    return report


def print_report(report: EqualityReport, echo=print) -> None:
    for name, seconds in report.timings.items():
        echo(f"time {name}: {seconds:.1f} s")
    for mart in report.marts:
        status = "DIFF" if any(d.mart == mart for d in report.diffs) else "ok"
        echo(f"{status:>4}  {mart} ({report.rows.get(mart, 0)} rows)")
    for diff in report.diffs:
        echo(f"--- {diff.mart}")
        for message in diff.messages:
            echo(f"    {message}")
    echo("equal on every mart" if report.ok else f"{len(report.diffs)} mart(s) differ")


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--work-dir", type=Path, default=PROJECT_ROOT / "warehouse" / "equality")
    parser.add_argument("--contacts", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--engine", choices=ENGINES, default="postgres")
    args = parser.parse_args()
    report = run_equality(args.work_dir, contacts=args.contacts, seed=args.seed, engine=args.engine)
    print_report(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
