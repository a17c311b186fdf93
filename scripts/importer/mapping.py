"""The YAML column mapping of `mql import`: how an export's CSV files become files of our raw contract.

A mapping names its **sources** (CSV files of the export, each with a role) and, per contract **table**, the
source it reads and how each contract column is made. Validation happens before any row is read: unknown tables
or columns, required contract columns left unmapped, templates naming missing placeholders and, above all,
outcome data flowing into scoring inputs are errors naming the mapping file and the offending entry.

**Outcome-only data.** Some exports carry attributes that exist only once a lead has converted (a closed deal's
segment, its sales rep, its revenue). Scoring on them would leak the outcome into the score. A source with
`role: outcome`, and any column a source lists under `outcome_columns`, may only feed the outcome tables
(`opportunities`, `lead_stage_history`, `sales_activities`); mapping one into contacts, accounts, events or any
other table is rejected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml

from scripts.contract import ContractTable, load_contract

OUTCOME_TABLES: frozenset[str] = frozenset({"opportunities", "lead_stage_history", "sales_activities"})
"""Tables that record what happened after qualification: the only ones outcome-only data may feed."""
TRANSFORMS: frozenset[str] = frozenset({"strip", "lower", "upper", "title", "slug"})
ACTIVITY_COLUMNS: frozenset[str] = frozenset({"event_id", "event_type", "occurred_at"})
PLACEHOLDER = re.compile(r"\{([^{}|]+)(?:\|([a-z_]+))?\}")
Unmapped = Literal["keep", "null", "reject"]
SourceRole = Literal["lead", "outcome"]


class MappingError(ValueError):
    """The mapping file is invalid; the message names the file and the entry at fault."""


@dataclass(frozen=True)
class ColumnSpec:
    """How one contract column is made from a source row.

    Exactly one of `columns` (the first non-empty of these source columns), `constant` or `template`
    (`{column}` or `{column|transform}` placeholders). Then, in order: `transform`, `values` (value map, with
    `unmapped` deciding what happens to a value it does not list), `multiply`, `type` check, date `formats`
    (strptime patterns tried in order; naive times are in `timezone`, converted to UTC).
    """

    target: str
    columns: tuple[str, ...] = ()
    constant: str | None = None
    template: str | None = None
    transform: tuple[str, ...] = ()
    values: dict[str, str] | None = None
    unmapped: Unmapped = "keep"
    multiply: float | None = None
    kind: str | None = None  # integer, number, boolean
    formats: tuple[str, ...] = ()
    timezone: str | None = None
    required: bool = False

    def source_columns(self) -> set[str]:
        """Every source column this spec reads."""
        used = set(self.columns)
        if self.template:
            used |= {match.group(1).strip() for match in PLACEHOLDER.finditer(self.template)}
        return used


@dataclass(frozen=True)
class Activity:
    """Wide activity columns turned into events: per source row, `count` events (default 1) of `event_type`
    at `occurred_at`, with ids `<contact_id>:<name>[:n]`. No timestamp and no count means no event."""

    name: str
    event_type: ColumnSpec
    occurred_at: ColumnSpec
    count: ColumnSpec | None = None
    max_count: int = 100

    def specs(self) -> list[ColumnSpec]:
        """The column specs of the activity."""
        return [spec for spec in (self.event_type, self.occurred_at, self.count) if spec is not None]


@dataclass(frozen=True)
class TableSpec:
    """One contract table: the source it reads, its column specs, (events only) activities, and the source
    columns a row must have a value in to produce a row at all (`skip_when_empty`: e.g. a stage date column;
    rows without it are skipped and counted, not rejected)."""

    table: str
    source: str
    columns: tuple[ColumnSpec, ...]
    activities: tuple[Activity, ...] = ()
    skip_when_empty: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceSpec:
    """One CSV file of the export."""

    name: str
    file: str
    role: SourceRole = "lead"
    outcome_columns: frozenset[str] = frozenset()
    delimiter: str = ","
    encoding: str = "utf-8-sig"


@dataclass(frozen=True)
class Mapping:
    """A whole mapping file."""

    name: str
    path: Path
    sources: dict[str, SourceSpec]
    tables: tuple[TableSpec, ...]
    timezone: str = "UTC"
    description: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)


def _fail(path: Path, where: str, message: str) -> MappingError:
    return MappingError(f"{path.name}: {where}: {message}")


def _column_spec(path: Path, where: str, target: str, raw: object, default_timezone: str,
                 required: bool) -> ColumnSpec:
    if isinstance(raw, str):
        return ColumnSpec(target, columns=(raw,), timezone=default_timezone, required=required)
    if isinstance(raw, int | float | bool) and not isinstance(raw, str):
        return ColumnSpec(target, constant=str(raw).lower() if isinstance(raw, bool) else str(raw),
                          timezone=default_timezone, required=required)
    if not isinstance(raw, dict):
        raise _fail(path, where, f"expected a source column name or a mapping, got {raw!r}")
    known = {"column", "constant", "template", "transform", "values", "unmapped", "multiply", "type", "format",
             "timezone", "required"}
    unknown = set(raw) - known
    if unknown:
        raise _fail(path, where, f"unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(known))})")
    kinds = [key for key in ("column", "constant", "template") if key in raw]
    if len(kinds) != 1:
        raise _fail(path, where, "set exactly one of column, constant, template")
    column = raw.get("column")
    columns = tuple(column) if isinstance(column, list) else ((str(column),) if column is not None else ())
    transform = raw.get("transform") or ()
    transform = (transform,) if isinstance(transform, str) else tuple(transform)
    bad = [t for t in transform if t not in TRANSFORMS]
    if bad:
        raise _fail(path, where, f"unknown transform {bad[0]!r} (known: {', '.join(sorted(TRANSFORMS))})")
    template = raw.get("template")
    if template is not None:
        for match in PLACEHOLDER.finditer(str(template)):
            if match.group(2) and match.group(2) not in TRANSFORMS:
                raise _fail(path, where, f"unknown transform {match.group(2)!r} in template")
    values = raw.get("values")
    if values is not None and not isinstance(values, dict):
        raise _fail(path, where, "values must be a mapping of source value -> contract value")
    unmapped_raw = raw.get("unmapped", "keep")
    unmapped: Unmapped
    if unmapped_raw is None or unmapped_raw == "null":  # YAML reads a bare `null` as None
        unmapped = "null"
    elif unmapped_raw == "keep":
        unmapped = "keep"
    elif unmapped_raw == "reject":
        unmapped = "reject"
    else:
        raise _fail(path, where, "unmapped must be keep, null or reject")
    kind = raw.get("type")
    if kind not in (None, "integer", "number", "boolean"):
        raise _fail(path, where, "type must be integer, number or boolean")
    formats = raw.get("format") or ()
    formats = (formats,) if isinstance(formats, str) else tuple(str(f) for f in formats)
    constant = raw.get("constant")
    return ColumnSpec(
        target=target, columns=columns,
        constant=None if constant is None else (str(constant).lower() if isinstance(constant, bool) else str(constant)),
        template=None if template is None else str(template), transform=transform,
        values=None if values is None else {_key(k): "" if v is None else _key(v) for k, v in values.items()},
        unmapped=unmapped, multiply=float(raw["multiply"]) if raw.get("multiply") is not None else None,
        kind=kind, formats=formats, timezone=str(raw.get("timezone", default_timezone)),
        required=bool(raw.get("required", required)),
    )


def _key(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def load_mapping(path: Path, contract: dict[str, ContractTable] | None = None) -> Mapping:
    """Read and validate a mapping file against the raw contract."""
    contract = contract or load_contract()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise MappingError(f"{path}: cannot read the mapping: {error}") from error
    if not isinstance(document, dict):
        raise MappingError(f"{path.name}: expected a YAML mapping at the top level")
    timezone = str(document.get("timezone", "UTC"))
    sources: dict[str, SourceSpec] = {}
    for name, raw in (document.get("sources") or {}).items():
        where = f"sources.{name}"
        if not isinstance(raw, dict) or "file" not in raw:
            raise _fail(path, where, "needs a `file`")
        role = raw.get("role", "lead")
        if role not in ("lead", "outcome"):
            raise _fail(path, where, "role must be lead or outcome")
        sources[str(name)] = SourceSpec(str(name), str(raw["file"]), role,
                                        frozenset(str(c) for c in raw.get("outcome_columns") or ()),
                                        str(raw.get("delimiter", ",")), str(raw.get("encoding", "utf-8-sig")))
    if not sources:
        raise _fail(path, "sources", "no source files declared")
    tables: list[TableSpec] = []
    for table_name, raw in (document.get("tables") or {}).items():
        tables.append(_table_spec(path, str(table_name), raw, sources, contract, timezone))
    if not tables:
        raise _fail(path, "tables", "no contract table mapped")
    return Mapping(str(document.get("name", path.stem)), path, sources, tuple(tables), timezone,
                   str(document.get("description", "")), tuple(str(n) for n in document.get("notes") or ()))


def _table_spec(path: Path, table_name: str, raw: object, sources: dict[str, SourceSpec],
                contract: dict[str, ContractTable], timezone: str) -> TableSpec:
    where = f"tables.{table_name}"
    if table_name not in contract:
        raise _fail(path, where, f"not a table of the raw contract (tables: {', '.join(sorted(contract))})")
    if not isinstance(raw, dict) or "from" not in raw:
        raise _fail(path, where, "needs `from: <source>`")
    source = str(raw["from"])
    if source not in sources:
        raise _fail(path, where, f"unknown source '{source}' (declared: {', '.join(sorted(sources))})")
    table = contract[table_name]
    required = set(table.required_columns)
    specs: list[ColumnSpec] = []
    for target, spec in (raw.get("columns") or {}).items():
        if target not in table.column_names:
            raise _fail(path, f"{where}.columns.{target}",
                        f"not a column of '{table_name}' (columns: {', '.join(table.column_names)})")
        specs.append(_column_spec(path, f"{where}.columns.{target}", str(target), spec, timezone,
                                  str(target) in required))
    activities: list[Activity] = []
    for number, item in enumerate(raw.get("activities") or (), start=1):
        if table_name != "events":
            raise _fail(path, f"{where}.activities", "only the events table takes activities")
        activities.append(_activity(path, f"{where}.activities[{number}]", item, timezone))
    mapped = {spec.target for spec in specs} | (set(ACTIVITY_COLUMNS) if activities else set())
    missing = sorted(required - mapped)
    if missing:
        raise _fail(path, where, f"required contract column(s) not mapped: {', '.join(missing)}")
    skip = raw.get("skip_when_empty") or ()
    skip = (skip,) if isinstance(skip, str) else tuple(str(c) for c in skip)
    result = TableSpec(table_name, source, tuple(specs), tuple(activities), skip)
    _check_outcome_guard(path, result, sources[source])
    return result


def _activity(path: Path, where: str, raw: object, timezone: str) -> Activity:
    if not isinstance(raw, dict) or "name" not in raw or "event_type" not in raw or "occurred_at" not in raw:
        raise _fail(path, where, "an activity needs name, event_type and occurred_at")
    name = str(raw["name"])
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise _fail(path, where, f"activity name {name!r} must be letters, digits, '_', '-' or '.'")
    return Activity(
        name=name,
        event_type=_column_spec(path, f"{where}.event_type", "event_type", raw["event_type"], timezone, True),
        occurred_at=_column_spec(path, f"{where}.occurred_at", "occurred_at", raw["occurred_at"], timezone, False),
        count=_column_spec(path, f"{where}.count", "count", raw["count"], timezone, False) if "count" in raw else None,
        max_count=int(raw.get("max_count", 100)),
    )


def _check_outcome_guard(path: Path, table: TableSpec, source: SourceSpec) -> None:
    """Outcome-only sources and columns may feed outcome tables only."""
    if table.table in OUTCOME_TABLES:
        return
    if source.role == "outcome":
        raise _fail(path, f"tables.{table.table}",
                    f"reads source '{source.name}', which has role outcome: outcome-only data may only feed "
                    f"{', '.join(sorted(OUTCOME_TABLES))} (it would leak conversions into scoring inputs)")
    specs = list(table.columns) + [spec for activity in table.activities for spec in activity.specs()]
    gated = set(table.skip_when_empty) & source.outcome_columns
    if gated:
        raise _fail(path, f"tables.{table.table}.skip_when_empty",
                    f"depends on outcome-only column(s) {', '.join(sorted(gated))} of source '{source.name}'")
    for spec in specs:
        leaked = spec.source_columns() & source.outcome_columns
        if leaked:
            raise _fail(path, f"tables.{table.table}.columns.{spec.target}",
                        f"reads outcome-only column(s) {', '.join(sorted(leaked))} of source '{source.name}': "
                        f"outcome-only data may only feed {', '.join(sorted(OUTCOME_TABLES))}")
