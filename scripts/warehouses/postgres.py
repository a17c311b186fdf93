"""A throwaway PostgreSQL server for tests and CI, and the Postgres loader (`COPY`, same contract as DuckDB's).

Nothing is installed here: the server binaries come from Debian's `postgresql` package
(`apt-get install -y postgresql`, binaries in /usr/lib/postgresql/<version>/bin; `.ci/postgres.sh` does it).
`start_server()` runs `initdb` into a temporary directory (as the `postgres` user when running as root, else as the
current user), starts the server on 127.0.0.1 on a free port with its socket in the same directory, creates the
database and returns the connection settings as the `MQL_PG_*` environment variables that `profiles.yml` reads.
`stop_server()` stops it (`pg_ctl -m fast stop`) and removes the directory.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from scripts.contract import ContractTable
from scripts.load import (
    LOAD_LOG,
    LoadedFiles,
    LoadMode,
    LoadReport,
    PlannedFile,
    prepare_load,
)

DEBIAN_PACKAGE = "postgresql"
SERVICE_USER = "postgres"


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL server binaries are missing or the server cannot start; the message says what to do."""


@dataclass
class PostgresServer:
    """A running throwaway server: where it lives and how to connect."""

    data_dir: Path
    socket_dir: Path
    port: int
    database: str
    bin_dir: Path
    run_as: str | None
    host: str = "127.0.0.1"
    user: str = SERVICE_USER
    log_file: Path = field(default_factory=Path)

    def env(self) -> dict[str, str]:
        """Environment variables for `profiles.yml`'s `postgres` target (and psycopg2 via `connect()`)."""
        return {
            "MQL_PG_HOST": self.host,
            "MQL_PG_PORT": str(self.port),
            "MQL_PG_USER": self.user,
            "MQL_PG_PASSWORD": "",
            "MQL_PG_DATABASE": self.database,
        }


def find_bin_dir() -> Path:
    """The directory holding `pg_ctl` and `initdb`: `$MQL_PG_BIN`, PATH, or Debian's /usr/lib/postgresql/*/bin."""
    candidates: list[Path] = []
    if os.environ.get("MQL_PG_BIN"):
        candidates.append(Path(os.environ["MQL_PG_BIN"]))
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        candidates += sorted((p / "bin" for p in debian.iterdir()), key=lambda p: p.parent.name, reverse=True)
    for directory in candidates:
        if (directory / "pg_ctl").is_file() and (directory / "initdb").is_file():
            return directory
    raise PostgresUnavailable(
        "PostgreSQL server binaries (pg_ctl, initdb) not found: install the Debian package "
        f"'{DEBIAN_PACKAGE}' (apt-get update && apt-get install -y {DEBIAN_PACKAGE}; .ci/postgres.sh does it) "
        "or set MQL_PG_BIN to the directory holding pg_ctl")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(command: list[str], run_as: str | None, log: Path | None = None) -> subprocess.CompletedProcess[str]:
    if run_as:
        # `runuser` (util-linux) switches user without a password or a TTY; root only.
        command = ["runuser", "-u", run_as, "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd="/")
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()
        if log is not None and log.exists():
            detail += "\n" + log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise PostgresUnavailable(f"{' '.join(command)} failed ({result.returncode}): {detail}")
    return result


def start_server(database: str = "mql", base_dir: Path | None = None, timeout_s: float = 30.0) -> PostgresServer:
    """Init and start a throwaway server on 127.0.0.1 (free port) and create `database`; see the module doc."""
    bin_dir = find_bin_dir()
    run_as = SERVICE_USER if os.geteuid() == 0 else None
    user = SERVICE_USER if run_as else (os.environ.get("USER") or "postgres")
    root = Path(tempfile.mkdtemp(prefix="mql-pg-", dir=base_dir))
    data_dir, socket_dir, log_file = root / "data", root / "socket", root / "server.log"
    socket_dir.mkdir()
    if run_as:
        shutil.chown(root, user=run_as)
        shutil.chown(socket_dir, user=run_as)
    server = PostgresServer(data_dir, socket_dir, 0, database, bin_dir, run_as, user=user, log_file=log_file)
    try:
        # -U fixes the superuser name so that the connection settings do not depend on the OS account.
        _run([str(bin_dir / "initdb"), "-D", str(data_dir), "-A", "trust", "-U", user, "-E", "UTF8",
              "--locale=C", "--no-sync"], run_as)
        last_error: PostgresUnavailable | None = None
        for _attempt in range(3):  # a free port can be taken between probing and binding
            port = free_port()
            options = f"-c listen_addresses=127.0.0.1 -p {port} -k {socket_dir} -c fsync=off " \
                      "-c synchronous_commit=off -c full_page_writes=off -c timezone=UTC"
            try:
                _run([str(bin_dir / "pg_ctl"), "-D", str(data_dir), "-l", str(log_file), "-o", options,
                      "-w", "-t", str(int(timeout_s)), "start"], run_as, log_file)
            except PostgresUnavailable as error:
                last_error = error
                continue
            server.port = port
            break
        else:
            raise last_error or PostgresUnavailable("PostgreSQL did not start")
        deadline = time.monotonic() + timeout_s
        while subprocess.run([str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(server.port)],
                             capture_output=True, check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise PostgresUnavailable(f"PostgreSQL on port {server.port} not ready after {timeout_s} s")
            time.sleep(0.1)
        _run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(server.port), "-U", user, database], run_as)
    except BaseException:
        stop_server(server)
        raise
    return server


def stop_server(server: PostgresServer) -> None:
    """Stop the server (fast shutdown) and remove its directory; safe to call twice or on a half-started one."""
    if (server.data_dir / "postmaster.pid").exists():
        try:
            _run([str(server.bin_dir / "pg_ctl"), "-D", str(server.data_dir), "-m", "fast", "-w", "stop"],
                 server.run_as)
        except PostgresUnavailable:
            pass
    shutil.rmtree(server.data_dir.parent, ignore_errors=True)


def connect(env: dict[str, str] | None = None):
    """A psycopg2 connection from the `MQL_PG_*` variables (of `env`, else the process environment)."""
    import psycopg2

    source = env if env is not None else os.environ
    return psycopg2.connect(
        host=source.get("MQL_PG_HOST", "127.0.0.1"), port=int(source.get("MQL_PG_PORT", "5432")),
        user=source.get("MQL_PG_USER", "postgres"), password=source.get("MQL_PG_PASSWORD", "") or None,
        dbname=source.get("MQL_PG_DATABASE", "mql"),
    )


# --- Loader ---------------------------------------------------------------------------------------------------

def _copy_text(value: object) -> str:
    """One field in COPY's text format: null is \\N; backslash, tab, newline and carriage return are escaped."""
    if value is None:
        return "\\N"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _rows_for_copy(item: PlannedFile, loaded_at: datetime, label: str) -> tuple[io.StringIO, int]:
    """The file's contract columns as text (missing optional ones null) plus the three load columns, in COPY's
    text format. DuckDB reads the file exactly as the DuckDB loader does, so both engines see the same values."""
    import duckdb

    from scripts.load import _reader_sql, load_error

    present = {c for c in item.table.column_names if c not in item.missing_optional}
    columns = [f'cast("{c}" as varchar)' if c in present else "cast(null as varchar)"
               for c in item.table.column_names]
    sql = f"select {', '.join(columns)}, cast(file_row_number as bigint) from {_reader_sql(item.path)} " \
          "order by file_row_number"
    buffer = io.StringIO()
    tail = f"\t{_copy_text(loaded_at.isoformat(sep=' '))}\t{_copy_text(label)}\t"
    count = 0
    with duckdb.connect() as connection:
        try:
            result = connection.execute(sql)
        except duckdb.Error as error:
            raise load_error(item.path, error) from error
        while batch := result.fetchmany(10_000):
            for row in batch:
                buffer.write("\t".join(_copy_text(v) for v in row[:-1]) + tail + str(row[-1]) + "\n")
                count += 1
    buffer.seek(0)
    return buffer, count


def _create_table_sql(schema: str, table: ContractTable) -> str:
    columns = ", ".join(f'"{c}" text' for c in table.column_names)
    return (f'create table "{schema}"."{table.name}" ({columns}, _loaded_at timestamp, _source_file text, '
            "_source_row bigint)")


def load_directory(data_dir: Path, env: dict[str, str] | None = None, schema: str = "raw",
                   mode: LoadMode = "replace", loaded_at: datetime | None = None,
                   run_id: str | None = None) -> LoadReport:
    """Load the files of `data_dir` into `schema` of the Postgres database of `env` in one transaction, with the
    same contract checks, columns (all text plus `_loaded_at`, `_source_file`, `_source_row`), `_load_log` and
    replace/append semantics as `scripts.load.load_directory` on DuckDB."""
    tables, planned, hashes, report, stamp = prepare_load(data_dir, loaded_at)
    connection = connect(env)
    try:
        with connection:  # one transaction: commit on success, rollback on any error
            cursor = connection.cursor()
            cursor.execute(f'create schema if not exists "{schema}"')
            cursor.execute("select table_name from information_schema.tables where table_schema = %s", [schema])
            existing = {row[0] for row in cursor.fetchall()}
            for table in tables.values():
                if mode == "replace" or table.name not in existing:
                    cursor.execute(f'drop table if exists "{schema}"."{table.name}" cascade')
                    cursor.execute(_create_table_sql(schema, table))
            if mode == "replace" or LOAD_LOG not in existing:
                cursor.execute(f'drop table if exists "{schema}".{LOAD_LOG}')
                cursor.execute(f'create table "{schema}".{LOAD_LOG} (file_name text, file_sha256 text, '
                               "table_name text, row_count bigint, loaded_at timestamp, run_id text)")
            cursor.execute(f'select file_sha256, file_name from "{schema}".{LOAD_LOG}')
            loaded = LoadedFiles.from_log(cursor.fetchall())
            for item in planned:
                if hashes[item.path] in loaded.hashes:
                    report.skipped.append(item.path.name)
                    continue
                label = loaded.label(item.path, hashes[item.path])
                data, added = _rows_for_copy(item, stamp, label)
                columns = ", ".join(f'"{c}"' for c in
                                    [*item.table.column_names, "_loaded_at", "_source_file", "_source_row"])
                cursor.copy_expert(f'copy "{schema}"."{item.table.name}" ({columns}) from stdin', data)
                cursor.execute(f'insert into "{schema}".{LOAD_LOG} values (%s, %s, %s, %s, %s, %s)',
                               [label, hashes[item.path], item.table.name, added, stamp, run_id])
                loaded.add(item.path, hashes[item.path])
                report.rows_added += added
                report.files.setdefault(item.table.name, []).append(item.path.name)
            for table in tables.values():
                # Planner statistics now: dbt reads these tables at once, before autovacuum would analyse them.
                cursor.execute(f'analyze "{schema}"."{table.name}"')
                cursor.execute(f'select count(*) from "{schema}"."{table.name}"')
                report.rows[table.name] = int(cursor.fetchone()[0])
                if mode == "replace" and table.name not in report.files:
                    report.warnings.append(f"no file for table '{table.name}': it is empty")
    finally:
        connection.close()
    return report
