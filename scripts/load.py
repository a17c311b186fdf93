"""`mql load DIR`: land raw export files in the warehouse's raw schema, checked against the raw data contract.

A file is named after its contract table (`contacts.parquet`, `events.csv`; `events__2026-06.parquet` adds a part
to a table). Names starting with `_` or `.` are metadata and skipped. Every contract column lands as text, so a
malformed value reaches staging (which types or quarantines it) instead of failing the load; the loader adds
`_loaded_at`, `_source_file` and `_source_row`. Validation happens before anything is written, and the load itself
is one transaction: a failure leaves the raw schema as it was.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import duckdb

from scripts.contract import ContractTable, load_contract
from scripts.paths import inside

SUPPORTED_SUFFIXES = (".parquet", ".csv")
LoadMode = Literal["replace", "append"]


class LoadError(Exception):
    """A file cannot be loaded; the message names the file (and column) at fault."""


@dataclass(frozen=True)
class PlannedFile:
    """One file to load into one contract table, with the contract columns it lacks (optional ones only)."""

    path: Path
    table: ContractTable
    missing_optional: tuple[str, ...]
    extra_columns: tuple[str, ...]


@dataclass
class LoadReport:
    """What a load did: rows per table, files per table, and warnings worth printing."""

    rows: dict[str, int] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    loaded_at: datetime | None = None
    skipped: list[str] = field(default_factory=list)
    rows_added: int = 0


def table_for_file(path: Path, tables: dict[str, ContractTable]) -> ContractTable:
    """The contract table a file belongs to, from its name; raises LoadError for an unknown name or format."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise LoadError(f"{path.name}: unsupported file type '{path.suffix}' (expected .parquet or .csv)")
    stem = path.name[: -len(path.suffix)]
    name = re.split(r"__", stem, maxsplit=1)[0].lower()
    if name not in tables:
        raise LoadError(f"{path.name}: unknown file: '{name}' is not a table of the raw data contract "
                        f"(expected one of: {', '.join(sorted(tables))})")
    return tables[name]


def _csv_header(path: Path) -> list[str]:
    """The column names of a CSV file's first line (a UTF-8 byte order mark dropped, a blank name called
    `columnN` as DuckDB calls it)."""
    try:
        with path.open("rb") as handle:
            first_line = handle.readline().decode("utf-8-sig")
        header = next(csv.reader([first_line]), None)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise LoadError(f"{path.name} line 1: unreadable header: {error}") from error
    if not header:
        raise LoadError(f"{path.name}: empty file (the first line must name the columns)")
    names = [name.strip() or f"column{index}" for index, name in enumerate(header)]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise LoadError(f"{path.name} line 1: column '{repeated[0]}' appears twice in the header")
    return names


def _unbalanced_quotes(path: Path) -> bool:
    """An odd number of `"` in the file: a quoted value is never closed (DuckDB would drop the rows after it)."""
    count = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            count += block.count(b'"')
    return count % 2 == 1


def _reader_sql(path: Path) -> str:
    """A relation over the file's rows, all text, with `file_row_number` (0-based, data rows only). A CSV is read
    with the columns its header names and no dialect sniffing: the sniffer can take a wider last row for the
    header, and its failures name no line, while this read names the line of a malformed row."""
    literal = str(path).replace("'", "''")
    if path.suffix.lower() == ".parquet":
        return f"read_parquet('{literal}', file_row_number = true)"
    columns = ", ".join(f"'{name.replace(chr(39), chr(39) * 2)}': 'VARCHAR'" for name in _csv_header(path))
    return (f"(select *, row_number() over () - 1 as file_row_number from read_csv('{literal}', "
            f"auto_detect = false, columns = {{{columns}}}, header = true, delim = ',', quote = '\"', "
            f"escape = '\"', parallel = false))")


CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")


def load_error(path: Path, error: Exception, doing: str = "could not be loaded") -> LoadError:
    """One line for a file DuckDB could not read: the file, the line of a malformed CSV row (the header is line
    1) and DuckDB's reason, without its multi-line advice."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    located = CSV_LINE.search(lines[0]) if lines else None
    if located is None:
        return LoadError(f"{path.name}: {doing}: {lines[0] if lines else type(error).__name__}")
    reason = next((line for line in lines[1:] if not line.startswith(("Original Line", "Possible", "*"))),
                  "malformed row")
    return LoadError(f"{path.name} line {located.group(1)}: {doing}: {reason}")


def _file_columns(connection: duckdb.DuckDBPyConnection, path: Path) -> list[str]:
    try:
        described = connection.execute(f"describe select * from {_reader_sql(path)}").fetchall()
    except duckdb.Error as error:
        raise load_error(path, error, "unreadable file") from error
    return [row[0] for row in described if row[0] != "file_row_number"]


def plan_load(data_dir: Path, tables: dict[str, ContractTable] | None = None) -> list[PlannedFile]:
    """Check every file in `data_dir` against the contract without writing anything."""
    tables = tables or load_contract()
    if not data_dir.is_dir():
        raise LoadError(f"{data_dir}: not a directory")
    candidates = sorted(p for p in data_dir.iterdir() if p.is_file() and not p.name.startswith(("_", ".")))
    for path in candidates:
        if inside(data_dir, path.name) is None:
            raise LoadError(f"{path.name}: a symbolic link to {path.resolve()}, outside {data_dir}: the loader "
                            "reads only files inside the folder it is given (copy the file in)")
    if not candidates:
        raise LoadError(f"{data_dir}: no files to load (expected e.g. contacts.parquet, events.csv)")
    planned: list[PlannedFile] = []
    with duckdb.connect() as connection:
        for path in candidates:
            table = table_for_file(path, tables)
            if path.suffix.lower() == ".csv" and _unbalanced_quotes(path):
                raise LoadError(f"{path.name}: unbalanced quotes: a quoted value is never closed (an odd number of "
                                "'\"' characters); fix the export")
            present = _file_columns(connection, path)
            lowered = {name.lower(): name for name in present}
            missing_required = [c for c in table.required_columns if c not in lowered]
            if missing_required:
                raise LoadError(f"{path.name}: missing required column '{missing_required[0]}' of table "
                                f"'{table.name}' (required: {', '.join(table.required_columns)})")
            missing_optional = tuple(c for c in table.column_names if c not in lowered)
            extra = tuple(name for name in present if name.lower() not in set(table.column_names))
            planned.append(PlannedFile(path, table, missing_optional, extra))
    return planned


@dataclass
class LoadedFiles:
    """What a load log holds: the contents (SHA-256) and the names of the files loaded so far. Every loader asks it
    whether a file is new and how to label the file's rows."""

    hashes: set[str]
    names: set[str]

    @classmethod
    def from_log(cls, rows: Iterable[tuple[str, str]]) -> LoadedFiles:
        """From the load log's (`file_sha256`, `file_name`) rows."""
        logged = list(rows)
        return cls({row[0] for row in logged}, {row[1] for row in logged})

    def label(self, path: Path, sha256: str) -> str:
        """The `_source_file` of a file's rows: its name, or `<name>@<first 12 hex digits of its SHA-256>` when a
        file of that name was loaded before (a scheduled export written under the same name every time), so that
        (`_source_file`, `_source_row`), the raw row's identity, stays unique."""
        return path.name if path.name not in self.names else f"{path.name}@{sha256[:12]}"

    def add(self, path: Path, sha256: str) -> None:
        self.hashes.add(sha256)
        self.names.add(path.name)


def _select_sql(item: PlannedFile, loaded_at: datetime, label: str) -> str:
    present = {c for c in item.table.column_names if c not in item.missing_optional}
    columns = [
        f'cast("{c}" as varchar) as "{c}"' if c in present else f'cast(null as varchar) as "{c}"'
        for c in item.table.column_names
    ]
    file_name = label.replace("'", "''")
    return (
        f"select {', '.join(columns)}, timestamp '{loaded_at.isoformat(sep=' ')}' as _loaded_at, "
        f"'{file_name}' as _source_file, cast(file_row_number as bigint) as _source_row "
        f"from {_reader_sql(item.path)}"
    )


def _create_table_sql(schema: str, table: ContractTable) -> str:
    columns = ", ".join(f'"{c}" varchar' for c in table.column_names)
    return (f'create or replace table "{schema}"."{table.name}" ({columns}, _loaded_at timestamp, '
            f"_source_file varchar, _source_row bigint)")


LOAD_LOG = "_load_log"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def prepare_load(data_dir: Path, loaded_at: datetime | None
                 ) -> tuple[dict[str, ContractTable], list[PlannedFile], dict[Path, str], LoadReport, datetime]:
    """What every loader (DuckDB, PostgreSQL, Spark) does before writing: the contract, the validated plan of
    files, their SHA-256, a report holding the warnings about columns, and the load time (now unless given)."""
    tables = load_contract()
    planned = plan_load(data_dir, tables)
    hashes = {item.path: file_sha256(item.path) for item in planned}
    stamp = (loaded_at or datetime.now(UTC)).replace(tzinfo=None, microsecond=0)
    report = LoadReport(loaded_at=stamp)
    for item in planned:
        if item.extra_columns:
            report.warnings.append(f"{item.path.name}: ignored columns not in the contract: "
                                   f"{', '.join(item.extra_columns)}")
        if item.missing_optional:
            report.warnings.append(f"{item.path.name}: optional columns absent, loaded as null: "
                                   f"{', '.join(item.missing_optional)}")
    return tables, planned, hashes, report, stamp


def load_directory(data_dir: Path, database: Path, schema: str = "raw", mode: LoadMode = "replace",
                   loaded_at: datetime | None = None, run_id: str | None = None) -> LoadReport:
    """Load the files of `data_dir` into `schema` of the DuckDB `database`, in one transaction.

    `replace` recreates every contract table (tables without a file become empty, with a warning) and starts a new
    load log; `append` adds only files whose content (SHA-256) is not in the load log yet, so loading the same
    file twice is a no-op. Every loaded file is recorded in `<schema>._load_log`.
    """
    tables, planned, hashes, report, stamp = prepare_load(data_dir, loaded_at)
    database.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(database))
    connection.execute("set TimeZone = 'UTC'")  # typed timestamps in a file become UTC text, whatever the host
    try:
        connection.execute("begin transaction")
        connection.execute(f'create schema if not exists "{schema}"')
        existing = {row[0] for row in connection.execute(
            "select table_name from information_schema.tables where table_schema = ?", [schema]).fetchall()}
        for table in tables.values():
            if mode == "replace" or table.name not in existing:
                connection.execute(_create_table_sql(schema, table))
        if mode == "replace" or LOAD_LOG not in existing:
            connection.execute(
                f'create or replace table "{schema}".{LOAD_LOG} (file_name varchar, file_sha256 varchar, '
                "table_name varchar, row_count bigint, loaded_at timestamp, run_id varchar)")
        loaded = LoadedFiles.from_log(
            connection.execute(f'select file_sha256, file_name from "{schema}".{LOAD_LOG}').fetchall())
        for item in planned:
            if hashes[item.path] in loaded.hashes:
                report.skipped.append(item.path.name)
                continue
            label = loaded.label(item.path, hashes[item.path])
            before = connection.execute(f'select count(*) from "{schema}"."{item.table.name}"').fetchone()
            try:
                connection.execute(f'insert into "{schema}"."{item.table.name}" {_select_sql(item, stamp, label)}')
            except duckdb.Error as error:
                raise load_error(item.path, error) from error
            after = connection.execute(f'select count(*) from "{schema}"."{item.table.name}"').fetchone()
            added = int(after[0]) - int(before[0]) if after and before else 0
            connection.execute(f'insert into "{schema}".{LOAD_LOG} values (?, ?, ?, ?, ?, ?)',
                               [label, hashes[item.path], item.table.name, added, stamp, run_id])
            loaded.add(item.path, hashes[item.path])
            report.rows_added += added
            report.files.setdefault(item.table.name, []).append(item.path.name)
        for table in tables.values():
            count = connection.execute(f'select count(*) from "{schema}"."{table.name}"').fetchone()
            report.rows[table.name] = int(count[0]) if count else 0
            if mode == "replace" and table.name not in report.files:
                report.warnings.append(f"no file for table '{table.name}': it is empty")
        connection.execute("commit")
    except BaseException:
        connection.execute("rollback")
        raise
    finally:
        connection.close()
    return report
