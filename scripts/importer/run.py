"""Run a mapping: read the export's CSV files, write one contract CSV per mapped table, and report every row that
could not be mapped (count, reasons, a sample, and `_rejects/<table>.csv` with the source row) instead of
dropping it. Files starting with `_` are skipped by `mql load`, so the output folder can be loaded as is."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from scripts.contract import ContractTable, load_contract
from scripts.importer.activities import activity_rows
from scripts.importer.attributes import ATTRIBUTE_COLUMNS, to_json
from scripts.importer.clipping import ClipWatch, load_rules
from scripts.importer.conditions import all_hold
from scripts.importer.mapping import ACTIVITY_COLUMNS, Mapping, SourceSpec, TableSpec, load_mapping
from scripts.importer.specs import ROW_NUMBER, MappingError
from scripts.importer.values import UnmappableValue, evaluate
from scripts.paths import inside

REJECTS_DIR = "_rejects"
REPORT_FILE = "_import_report.json"
SAMPLE_SIZE = 5


@dataclass
class TableReport:
    """What happened to one contract table."""

    table: str
    source: str
    source_rows: int = 0
    mapped_rows: int = 0
    """Source rows mapped (neither rejected nor skipped): source_rows = mapped_rows + rejected + skipped. Equal to
    rows_written except for events with activities, where a row makes any number of events."""
    rows_written: int = 0
    rejected: int = 0
    skipped: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    samples: list[dict[str, str]] = field(default_factory=list)
    rejects_file: Path | None = None


@dataclass
class ImportReport:
    """The whole import: per table counts and rejects, and warnings."""

    mapping_name: str
    out_dir: Path
    tables: list[TableReport]
    warnings: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        """Rejected rows over all tables."""
        return sum(t.rejected for t in self.tables)

    def as_dict(self) -> dict[str, object]:
        """The report for `_import_report.json`."""
        return {
            "mapping": self.mapping_name,
            "tables": [{"table": t.table, "source": t.source, "source_rows": t.source_rows,
                        "mapped_rows": t.mapped_rows, "rows_written": t.rows_written, "rejected": t.rejected,
                        "skipped": t.skipped, "reasons": dict(t.reasons),
                        "rejects_file": str(t.rejects_file) if t.rejects_file else None,
                        "sample": t.samples} for t in self.tables],
            "warnings": self.warnings,
        }


def read_source(folder: Path, source: SourceSpec) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for every data row of a source CSV (header names stripped; CRLF handled). Each row
    also holds `_row`: its data row number (1-based, blank lines not counted), for `{_row}` in templates."""
    path = _source_path(folder, source)
    with path.open(encoding=source.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=source.delimiter)
        try:
            header = [name.strip() for name in next(reader)]
        except StopIteration:
            return
        number = 0
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            number += 1
            if len(values) != len(header):
                yield reader.line_num, {"__malformed__": f"{len(values)} fields, header has {len(header)}",
                                        **dict(zip(header, values, strict=False)), ROW_NUMBER: str(number)}
                continue
            yield reader.line_num, {**dict(zip(header, values, strict=True)), ROW_NUMBER: str(number)}


def _source_path(folder: Path, source: SourceSpec) -> Path:
    """The source's file, which must be inside `folder` (the `--source` folder): no `..`, absolute path or link
    that leads elsewhere."""
    path = inside(folder, source.file)
    if path is None:
        raise MappingError(f"source '{source.name}': file {source.file} is outside the source folder {folder}: "
                           "a mapping reads only files inside --source")
    if not path.is_file():
        raise MappingError(f"source '{source.name}': file {folder / source.file} not found")
    return path


def _source_columns(folder: Path, source: SourceSpec) -> list[str]:
    path = _source_path(folder, source)
    with path.open(encoding=source.encoding, newline="") as handle:
        return [name.strip() for name in next(csv.reader(handle, delimiter=source.delimiter), [])]


def _check_columns(folder: Path, mapping: Mapping) -> None:
    """Every source column a table reads must exist in its file (a typo fails before any row is read)."""
    for table in mapping.tables:
        source = mapping.sources[table.source]
        present = {*_source_columns(folder, source), ROW_NUMBER}
        for where, columns in table.reads():
            missing = sorted(columns - present)
            if missing:
                raise MappingError(f"{mapping.path.name}: {where}: column(s) {', '.join(missing)} not in "
                                   f"{source.file}")


def _map_row(table: TableSpec, contract: ContractTable, row: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    types = {c.name: c.logical_type for c in contract.columns}
    out: dict[str, str] = {}
    errors: list[str] = []
    if "__malformed__" in row:
        errors.append(f"malformed CSV row: {row['__malformed__']}")
    for spec in table.columns:
        try:
            out[spec.target] = evaluate(spec, row, types.get(spec.target, "varchar"))
        except UnmappableValue as error:
            errors.append(str(error))
    if table.attributes is not None:
        try:
            out[ATTRIBUTE_COLUMNS[table.table]] = to_json(table.attributes, row)
        except UnmappableValue as error:
            errors.append(str(error))
    return out, errors


def _write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def run_import(mapping_path: Path, source_dir: Path, out_dir: Path) -> ImportReport:
    """Import `source_dir` through the mapping into `out_dir` (one `<table>.csv` per mapped table)."""
    contract = load_contract()
    mapping = load_mapping(mapping_path, contract)
    if not source_dir.is_dir():
        raise MappingError(f"{source_dir}: not a directory")
    _check_columns(source_dir, mapping)
    _prepare_out_dir(out_dir, contract)
    reports: list[TableReport] = []
    warnings: list[str] = list(mapping.notes)
    rules, types = load_rules() if any(t.activities for t in mapping.tables) else ({}, {})
    for table in mapping.tables:
        watch = ClipWatch(rules, types)
        reports.append(_import_table(table, contract[table.table], mapping.sources[table.source], source_dir,
                                     out_dir, watch))
        warnings += watch.warnings(table.table) + _count_warnings(table)
    warnings += _snapshot_warnings(mapping)
    result = ImportReport(mapping.name, out_dir, reports, warnings)
    (out_dir / REPORT_FILE).write_text(json.dumps(result.as_dict(), indent=2, default=str) + "\n", encoding="utf-8")
    return result


def _import_table(table: TableSpec, contract_table: ContractTable, source: SourceSpec, source_dir: Path,
                  out_dir: Path, watch: ClipWatch) -> TableReport:
    """Map every row of the table's source; write the contract file and the rejects."""
    report = TableReport(table.table, source.file)
    types = {c.name: c.logical_type for c in contract_table.columns}
    written: list[dict[str, str]] = []
    rejects: list[dict[str, str]] = []
    for line, row in read_source(source_dir, source):
        report.source_rows += 1
        if (table.skip_when_empty and all(not (row.get(c) or "").strip() for c in table.skip_when_empty)) \
                or not all_hold(table.when, row):
            report.skipped += 1
            continue
        mapped, errors = _map_row(table, contract_table, row)
        produced: list[dict[str, str]] = [] if table.activities else [mapped]
        if not errors:
            for activity in table.activities:
                rows, problems = activity_rows(activity, mapped, row, types, watch)
                produced += rows
                errors += problems
        if errors:
            report.rejected += 1
            for error in errors:
                report.reasons[_reason(error)] += 1
            reject = {"_source_file": source.file, "_line": str(line), "_reasons": "; ".join(errors),
                      **{k: v for k, v in row.items() if k != "__malformed__"}}
            rejects.append(reject)
            if len(report.samples) < SAMPLE_SIZE:
                report.samples.append(reject)
            continue
        report.mapped_rows += 1
        written += produced
    _write(out_dir / f"{table.table}.csv", _output_columns(table, contract_table), written)
    report.rows_written = len(written)
    if rejects:
        report.rejects_file = out_dir / REJECTS_DIR / f"{table.table}.csv"
        _write(report.rejects_file, ["_source_file", "_line", "_reasons", *_source_columns(source_dir, source)],
               rejects)
    return report


def _output_columns(table: TableSpec, contract_table: ContractTable) -> list[str]:
    """The contract columns the table's mapping fills, in contract order."""
    filled = {spec.target for spec in table.columns}
    if table.attributes is not None:
        filled.add(ATTRIBUTE_COLUMNS[table.table])
    for activity in table.activities:
        filled |= set(ACTIVITY_COLUMNS) | {spec.target for spec in activity.columns}
        if activity.properties is not None:
            filled.add("properties")
    return [c for c in contract_table.column_names if c in filled]


def _count_warnings(table: TableSpec) -> list[str]:
    """Why events from counts are not point in time."""
    if not any(a.count is not None for a in table.activities):
        return []
    return [(f"{table.table}: events made from count columns are dated at one timestamp each: good for current "
            "scores, but counts exported today include later activity, so backtests and `as_of` builds on them "
            "are not point in time")]


def _snapshot_warnings(mapping: Mapping) -> list[str]:
    """Which columns are dated at `snapshot_at`, and why that is not point in time."""
    dated = []
    for table in mapping.tables:
        specs = [*table.columns, *(table.attributes or ()), *(s for a in table.activities for s in a.specs())]
        targets = sorted({spec.target for spec in specs if spec.snapshot})
        if targets:
            dated.append(f"{table.table} ({', '.join(targets)})")
    if not dated:
        return []
    return [(f"dated at the snapshot {mapping.snapshot_at} (snapshot_at): {'; '.join(dated)}. Snapshot-dated "
            "data is not point in time: it is the export's state as of the snapshot, not when things happened, "
            "so do not backtest, calibrate or read times to MQL on it")]


def _prepare_out_dir(out_dir: Path, contract: dict[str, ContractTable]) -> None:
    """Make `out_dir` ready: the files of a previous import there are replaced (so no stale table is loaded
    later); any other file named like a contract table stops the import before anything is touched."""
    out_dir.mkdir(parents=True, exist_ok=True)
    previous = out_dir / REPORT_FILE
    written: list[str] = []
    if previous.is_file():
        try:
            written = [str(t["table"]) for t in json.loads(previous.read_text(encoding="utf-8")).get("tables", [])]
        except (ValueError, AttributeError, KeyError, TypeError):
            written = []
        # only what an import writes is ever deleted: a contract table's file, inside `out_dir`
        written = [table for table in written if table in contract]
    clashes = sorted(p.name for p in out_dir.iterdir()
                     if p.is_file() and p.name.split(".")[0].split("__")[0].lower() in contract
                     and p.name not in {f"{table}.csv" for table in written})
    if clashes:
        raise MappingError(f"{out_dir}: already holds {', '.join(clashes)} (not from `mql import`): write the "
                           "import into an empty folder")
    for table in written:
        (out_dir / f"{table}.csv").unlink(missing_ok=True)
        (out_dir / REJECTS_DIR / f"{table}.csv").unlink(missing_ok=True)
    previous.unlink(missing_ok=True)


def _reason(error: str) -> str:
    """A reason code for counting: the message without the row-specific value (an activity's name kept)."""
    if error.startswith("activity ") and ": " in error:
        activity, rest = error.split(": ", 1)
        return f"{activity}: {_reason(rest)}"
    head = error.split(": ", 2)
    if "is not in the mapping's value map" in error:
        return f"{head[0]}: value not in the value map"
    if "does not match" in error:
        return f"{head[0]}: date does not match the format"
    if "required value is empty" in error:
        return f"{head[0]}: required value is empty"
    if "not a number" in error or "whole number" in error:
        return f"{head[0]}: not a number"
    return error if len(head) < 2 else f"{head[0]}: {head[1]}"
