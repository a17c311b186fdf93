"""The project on Apache Spark: the local Spark session dbt's `spark` target uses, and the Spark loader.

`profiles.yml`'s `spark` target runs dbt in an in-process Spark session (`method: session`, local mode, Java 17).
Its Hive metastore (embedded Derby: `metastore_db/`, `derby.log`) and its table files (`spark-warehouse/`) live in
one folder, `$MQL_SPARK_HOME` (default `warehouse/spark`, git-ignored). The loader opens the session with exactly
the `server_side_parameters` of that target (read from `profiles.yml`, so the two cannot drift apart) and lands the
raw tables in it; `dbt build --target spark` then finds them. In one Python process (the tests, `mql equality`)
dbt reuses the loader's session; across processes they share the folder. Derby is single-process: only one JVM
may open the folder at a time.

The loader keeps the contract of `scripts.load` (DuckDB): every contract column as text (`string`), plus
`_loaded_at`, `_source_file`, `_source_row`, and `<schema>._load_log`; `replace` and `append` (by file SHA-256).
Files are validated (and their rows cast to text by DuckDB into a staging Parquet file) before any table is
touched. Spark has no multi-table transactions: unlike on DuckDB and PostgreSQL, a failure while writing the
tables can leave some replaced and others not (re-run the load).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import jinja2
import yaml

from scripts.contract import ContractTable
from scripts.load import (
    LOAD_LOG,
    LoadedFiles,
    LoadError,
    LoadMode,
    LoadReport,
    PlannedFile,
    prepare_load,
)
from scripts.paths import PROJECT_ROOT, WAREHOUSE_DIR

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEBIAN_JAVA_PACKAGE = "openjdk-17-jre-headless"
SPARK_TARGET = "spark"


class SparkUnavailable(RuntimeError):
    """Java or pyspark is missing, so no local Spark session can start; the message says what to install."""


def spark_home() -> Path:
    """The folder of the local metastore and table files: `$MQL_SPARK_HOME` (relative to the project root, as dbt
    resolves it), else `warehouse/spark`."""
    raw = os.environ.get("MQL_SPARK_HOME")
    path = Path(raw) if raw else WAREHOUSE_DIR / "spark"
    return path if path.is_absolute() else PROJECT_ROOT / path


def java_available() -> str | None:
    """The `java` executable Spark will use (`$JAVA_HOME/bin/java`, else PATH) when it runs, else None."""
    candidates = []
    if os.environ.get("JAVA_HOME"):
        candidates.append(str(Path(os.environ["JAVA_HOME"]) / "bin" / "java"))
    on_path = shutil.which("java")
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        try:
            result = subprocess.run([candidate, "-version"], capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError):
            continue
        if result.returncode == 0:
            return candidate
    return None


def require_spark() -> None:
    """Raise SparkUnavailable unless Java and pyspark are installed."""
    if java_available() is None:
        raise SparkUnavailable(
            f"Java is missing (Spark needs Java 17): apt-get install -y {DEBIAN_JAVA_PACKAGE} "
            "(`make java` does it as root), or set JAVA_HOME")
    try:
        import pyspark  # noqa: F401
    except ImportError as error:
        raise SparkUnavailable("pyspark is missing: make venv (dev extra) installs dbt-spark[session] and "
                               "pyspark") from error


def session_parameters(target: str = SPARK_TARGET) -> dict[str, str]:
    """The `server_side_parameters` of a `profiles.yml` target, rendered with the current environment (only
    `env_var` is available, as in dbt's profile rendering)."""
    profiles = yaml.safe_load((PROJECT_ROOT / "profiles.yml").read_text(encoding="utf-8"))
    output = profiles["mql_warehouse"]["outputs"][target]
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)

    def env_var(name: str, default: str | None = None) -> str:
        if name in os.environ:
            return os.environ[name]
        if default is None:
            raise LoadError(f"profiles.yml target {target}: environment variable {name} is not set")
        return default

    rendered: dict[str, str] = {}
    for key, value in (output.get("server_side_parameters") or {}).items():
        rendered[str(key)] = environment.from_string(str(value)).render(env_var=env_var)
    return rendered


def get_session() -> SparkSession:
    """The local Spark session of the `spark` target (created, or the one already running in this process).

    `$MQL_SPARK_HOME` is made absolute first and the process works from the project root while the session starts,
    so the relative defaults of `profiles.yml` resolve as they do when dbt runs.
    """
    require_spark()
    from pyspark.sql import SparkSession

    home = spark_home()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["MQL_SPARK_HOME"] = str(home)
    builder: Any = SparkSession.builder.enableHiveSupport()
    for key, value in session_parameters().items():
        builder = builder.config(key, value)
    # dbt-spark forces ANSI mode off in its session; the loader uses the same setting.
    builder = builder.config("spark.sql.ansi.enabled", "false")
    previous = os.getcwd()
    os.chdir(PROJECT_ROOT)
    try:
        session = builder.getOrCreate()
    finally:
        os.chdir(previous)
    session.sparkContext.setLogLevel(os.environ.get("MQL_SPARK_LOG_LEVEL", "ERROR"))
    return session


def stop_session() -> None:
    """Stop this process's Spark session, if any (releases the Derby metastore for other processes)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return
    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class StagedFile:
    """A validated raw file rewritten by DuckDB as Parquet: every contract column as text, plus the row number."""

    item: PlannedFile
    parquet: Path
    rows: int


def _stage(item: PlannedFile, out: Path) -> StagedFile:
    from scripts.load import _reader_sql, load_error

    present = {c for c in item.table.column_names if c not in item.missing_optional}
    columns = [f'cast("{c}" as varchar) as "{c}"' if c in present else f'cast(null as varchar) as "{c}"'
               for c in item.table.column_names]
    target = out / f"{item.path.name}.parquet"
    sql = (f"copy (select {', '.join(columns)}, cast(file_row_number as bigint) as _source_row "
           f"from {_reader_sql(item.path)}) to '{str(target).replace(chr(39), chr(39) * 2)}' (format parquet)")
    with duckdb.connect() as connection:
        try:
            connection.execute(sql)
            count = connection.execute(f"select count(*) from read_parquet('{target}')").fetchone()
        except duckdb.Error as error:
            raise load_error(item.path, error) from error
    return StagedFile(item, target, int(count[0]) if count else 0)


def _create_table_sql(schema: str, table: ContractTable) -> str:
    columns = ", ".join(f"{_quote(c)} string" for c in table.column_names)
    return (f"create table {_quote(schema)}.{_quote(table.name)} ({columns}, _loaded_at timestamp, "
            "_source_file string, _source_row bigint) using parquet")


def _insert_sql(schema: str, staged: StagedFile, loaded_at: datetime, label: str) -> str:
    columns = ", ".join(f"cast({_quote(c)} as string)" for c in staged.item.table.column_names)
    return (f"insert into {_quote(schema)}.{_quote(staged.item.table.name)} "
            f"select {columns}, timestamp'{loaded_at.isoformat(sep=' ')}', {_literal(label)}, "
            f"cast(_source_row as bigint) from parquet.{_quote(str(staged.parquet))}")


def load_directory(data_dir: Path, schema: str = "raw", mode: LoadMode = "replace",
                   loaded_at: datetime | None = None, run_id: str | None = None) -> LoadReport:
    """Load the files of `data_dir` into `schema` of the local Spark metastore, with the same contract checks,
    columns, `_load_log` and replace/append semantics as `scripts.load.load_directory` on DuckDB (but not in one
    transaction: see the module docstring)."""
    tables, planned, hashes, report, stamp = prepare_load(data_dir, loaded_at)
    with tempfile.TemporaryDirectory(prefix="mql-spark-load-") as scratch:
        staged = [_stage(item, Path(scratch)) for item in planned]
        session = get_session()
        session.sql(f"create database if not exists {_quote(schema)}")
        existing = {row.tableName for row in session.sql(f"show tables in {_quote(schema)}").collect()}
        for table in tables.values():
            if mode == "replace" or table.name not in existing:
                session.sql(f"drop table if exists {_quote(schema)}.{_quote(table.name)}")
                session.sql(_create_table_sql(schema, table))
        log = f"{_quote(schema)}.{LOAD_LOG}"
        if mode == "replace" or LOAD_LOG not in existing:
            session.sql(f"drop table if exists {log}")
            session.sql(f"create table {log} (file_name string, file_sha256 string, table_name string, "
                        "row_count bigint, loaded_at timestamp, run_id string) using parquet")
        loaded = LoadedFiles.from_log(session.sql(f"select file_sha256, file_name from {log}").collect())
        for staged_file in staged:
            digest = hashes[staged_file.item.path]
            if digest in loaded.hashes:
                report.skipped.append(staged_file.item.path.name)
                continue
            label = loaded.label(staged_file.item.path, digest)
            session.sql(_insert_sql(schema, staged_file, stamp, label))
            run = _literal(run_id) if run_id is not None else "cast(null as string)"
            session.sql(f"insert into {log} values ({_literal(label)}, {_literal(digest)}, "
                        f"{_literal(staged_file.item.table.name)}, {staged_file.rows}, timestamp'{stamp.isoformat(sep=' ')}', "
                        f"{run})")
            loaded.add(staged_file.item.path, digest)
            report.rows_added += staged_file.rows
            report.files.setdefault(staged_file.item.table.name, []).append(staged_file.item.path.name)
        for table in tables.values():
            count = session.sql(f"select count(*) as n from {_quote(schema)}.{_quote(table.name)}").collect()
            report.rows[table.name] = int(count[0]["n"])
            if mode == "replace" and table.name not in report.files:
                report.warnings.append(f"no file for table '{table.name}': it is empty")
    return report


def fetch_rows(sql: str) -> list[dict[str, object]]:
    """Rows of a query in the local session as dicts. Timestamps come back as naive UTC values (cast to
    timestamp_ntz in the query, so the Python process's time zone plays no part)."""
    session = get_session()
    frame = session.sql(sql)
    from pyspark.sql.types import TimestampType

    columns = [f"cast({_quote(f.name)} as timestamp_ntz) as {_quote(f.name)}"
               if isinstance(f.dataType, TimestampType) else _quote(f.name) for f in frame.schema.fields]
    frame.createOrReplaceTempView("_mql_fetch")
    return [row.asDict() for row in session.sql(f"select {', '.join(columns)} from _mql_fetch").collect()]
