"""The YAML column mapping of `mql import`: how an export's CSV files become files of our raw contract.

A mapping names its **sources** (CSV files of the export, each with a role) and, per contract **table**, the
source it reads and how each contract column is made. Validation happens before any row is read: unknown tables
or columns, required contract columns left unmapped, templates naming missing placeholders and, above all,
outcome data flowing into scoring inputs are errors naming the mapping file and the offending entry.

**Outcome-only data.** Some exports carry attributes that exist only once a lead has converted (a closed deal's
segment, its sales rep, its revenue). Scoring on them would leak the outcome into the score. A source with
`role: outcome`, and any column a source lists under `outcome_columns`, may only feed the outcome tables
(`opportunities`, `lead_stage_history`, `sales_activities`); mapping one into contacts, accounts, events or any
other table is rejected. So is a `when:` filter, a custom attribute or an event property reading one: a filter
on an outcome column would select leads by their outcome.

**Snapshot exports.** A lead-level export without timestamps is dated by a top-level `snapshot_at` (the export's
as-of time): `{snapshot: true}` is a value source for any timestamp, and activities without `occurred_at` are
dated at it. Such data describes the leads as of the snapshot, so it is not point in time (the import says so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from scripts.contract import ContractTable, load_contract
from scripts.importer.attributes import ATTRIBUTE_COLUMNS, merge, parse_attributes
from scripts.importer.conditions import Condition, parse_when
from scripts.importer.specs import (
    PLACEHOLDER,
    ColumnSpec,
    MappingError,
    column_spec,
    fail,
    parse_snapshot,
    timezone_name,
)

__all__ = ["OUTCOME_TABLES", "PLACEHOLDER", "Activity", "ColumnSpec", "Mapping", "MappingError", "SourceSpec",
           "TableSpec", "load_mapping"]

OUTCOME_TABLES: frozenset[str] = frozenset({"opportunities", "lead_stage_history", "sales_activities"})
"""Tables that record what happened after qualification: the only ones outcome-only data may feed."""
ACTIVITY_COLUMNS: frozenset[str] = frozenset({"event_id", "event_type", "occurred_at"})
ACTIVITY_KEYS: frozenset[str] = frozenset({"name", "event_type", "occurred_at", "count", "max_count", "when",
                                           "properties"})
SourceRole = Literal["lead", "outcome"]


class _Loader(yaml.SafeLoader):
    """YAML as 1.2 reads booleans: only true/false, so `equals: yes` or `values: {no: ...}` mean the text an
    export holds (PyYAML's 1.1 default would read yes/no/on/off/y/n as booleans)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


@dataclass(frozen=True)
class Activity:
    """Wide activity columns turned into events: per source row meeting `when`, `count` events (default 1) of
    `event_type` at `occurred_at` (the snapshot when the mapping has `snapshot_at` and the activity no time),
    with ids `<contact_id>:<name>[:n]`. No timestamp and no count means no event. `columns` are the activity's
    own specs of other event columns (url, asset_name, campaign_id, duration_seconds...), which replace the
    table's; `properties` are the table's event properties merged with the activity's own."""

    name: str
    event_type: ColumnSpec
    occurred_at: ColumnSpec
    count: ColumnSpec | None = None
    max_count: int = 100
    columns: tuple[ColumnSpec, ...] = ()
    properties: tuple[ColumnSpec, ...] | None = None
    when: tuple[Condition, ...] = ()

    def specs(self) -> list[ColumnSpec]:
        """The column specs of the activity (properties included)."""
        fixed = [spec for spec in (self.event_type, self.occurred_at, self.count) if spec is not None]
        return fixed + list(self.columns) + list(self.properties or ())


@dataclass(frozen=True)
class TableSpec:
    """One contract table: the source it reads, its column specs, (events only) activities, the source
    columns a row must have a value in to produce a row at all (`skip_when_empty`: e.g. a stage date column;
    rows without it are skipped and counted, not rejected), the `when` conditions a row must meet (else it is
    skipped) and the `attributes` passed into its JSON column (custom_attributes or properties; for events
    with activities they are merged into each activity's properties)."""

    table: str
    source: str
    columns: tuple[ColumnSpec, ...]
    activities: tuple[Activity, ...] = ()
    skip_when_empty: tuple[str, ...] = ()
    when: tuple[Condition, ...] = ()
    attributes: tuple[ColumnSpec, ...] | None = None

    def reads(self) -> list[tuple[str, set[str]]]:
        """(entry, source columns) for everything the table reads, to check against the source file."""
        where = f"tables.{self.table}"
        entries = [(f"{where}.columns.{spec.target}", spec.source_columns()) for spec in self.columns]
        entries += [(f"{where}.{spec.target}", spec.source_columns()) for spec in self.attributes or ()]
        entries.append((f"{where}.skip_when_empty", set(self.skip_when_empty)))
        entries.append((f"{where}.when", {condition.column for condition in self.when}))
        for number, activity in enumerate(self.activities, start=1):
            at = f"{where}.activities[{number}]"
            entries += [(f"{at}.{spec.target}", spec.source_columns()) for spec in activity.specs()]
            entries.append((f"{at}.when", {condition.column for condition in activity.when}))
        return entries


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
    """A whole mapping file. `snapshot_at` is the export's as-of time (ISO UTC text), if it has one."""

    name: str
    path: Path
    sources: dict[str, SourceSpec]
    tables: tuple[TableSpec, ...]
    timezone: str = "UTC"
    description: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    snapshot_at: str | None = None


@dataclass(frozen=True)
class _Context:
    """What every spec of one mapping file is parsed with."""

    path: Path
    timezone: str
    snapshot: str | None


TOP_LEVEL_KEYS: tuple[str, ...] = ("name", "description", "notes", "timezone", "snapshot_at", "sources", "tables")


def load_mapping(path: Path, contract: dict[str, ContractTable] | None = None) -> Mapping:
    """Read and validate a mapping file against the raw contract."""
    contract = contract or load_contract()
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or {}
    except (OSError, yaml.YAMLError) as error:
        raise MappingError(f"{path}: cannot read the mapping: {error}") from error
    if not isinstance(document, dict):
        raise MappingError(f"{path.name}: expected a YAML mapping at the top level")
    unknown = sorted(str(key) for key in document if key not in TOP_LEVEL_KEYS)
    if unknown:
        raise fail(path, unknown[0], f"unknown top-level key (a mapping has {', '.join(TOP_LEVEL_KEYS)})")
    timezone = timezone_name(path, "timezone", document.get("timezone", "UTC"))
    snapshot = _snapshot(path, document.get("snapshot_at"), timezone)
    context = _Context(path, timezone, snapshot)
    sources: dict[str, SourceSpec] = {}
    for name, raw in _entries(path, "sources", document.get("sources")):
        where = f"sources.{name}"
        if not isinstance(raw, dict) or not isinstance(raw.get("file"), str) or not raw["file"].strip():
            raise fail(path, where, "needs a `file`: the CSV's name inside --source")
        role = raw.get("role", "lead")
        if role not in ("lead", "outcome"):
            raise fail(path, where, "role must be lead or outcome")
        sources[name] = SourceSpec(name, str(raw["file"]), role,
                                   frozenset(str(c) for c in raw.get("outcome_columns") or ()),
                                   str(raw.get("delimiter", ",")), str(raw.get("encoding", "utf-8-sig")))
    if not sources:
        raise fail(path, "sources", "no source files declared")
    tables = [_table_spec(context, name, raw, sources, contract)
              for name, raw in _entries(path, "tables", document.get("tables"))]
    if not tables:
        raise fail(path, "tables", "no contract table mapped")
    return Mapping(str(document.get("name", path.stem)), path, sources, tuple(tables), timezone,
                   str(document.get("description", "")), tuple(str(n) for n in document.get("notes") or ()),
                   snapshot)


def _entries(path: Path, where: str, raw: object) -> list[tuple[str, object]]:
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise fail(path, where, "expected a mapping of name -> entry")
    return [(str(name), value) for name, value in raw.items()]


def _snapshot(path: Path, raw: object, timezone: str) -> str | None:
    """`snapshot_at` as ISO UTC text (naive times are in the mapping's timezone)."""
    if raw is None:
        return None
    moment = parse_snapshot(path, raw)
    if moment.tzinfo is None and timezone.upper() != "UTC":
        try:
            moment = moment.replace(tzinfo=ZoneInfo(timezone))
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise fail(path, "timezone", f"unknown timezone {timezone!r}") from error
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _table_spec(context: _Context, table_name: str, raw: object, sources: dict[str, SourceSpec],
                contract: dict[str, ContractTable]) -> TableSpec:
    path, where = context.path, f"tables.{table_name}"
    if table_name not in contract:
        raise fail(path, where, f"not a table of the raw contract (tables: {', '.join(sorted(contract))})")
    if not isinstance(raw, dict) or "from" not in raw:
        raise fail(path, where, "needs `from: <source>`")
    source = str(raw["from"])
    if source not in sources:
        raise fail(path, where, f"unknown source '{source}' (declared: {', '.join(sorted(sources))})")
    table = contract[table_name]
    json_column = ATTRIBUTE_COLUMNS.get(table_name)
    required = set(table.required_columns)
    specs: list[ColumnSpec] = []
    for target, spec in _entries(path, f"{where}.columns", raw.get("columns")):
        if target not in table.column_names:
            raise fail(path, f"{where}.columns.{target}",
                       f"not a column of '{table_name}' (columns: {', '.join(table.column_names)})")
        if target == json_column:
            raise fail(path, f"{where}.columns.{target}",
                       f"{target} is written from `{target}:` beside `columns:` (attribute name -> spec)")
        specs.append(_spec(context, f"{where}.columns.{target}", target, spec, target in required))
    attributes = _attributes(context, where, table, raw)
    activities: list[Activity] = []
    for number, item in enumerate(raw.get("activities") or (), start=1):
        if table_name != "events":
            raise fail(path, f"{where}.activities", "only the events table takes activities")
        activities.append(_activity(context, f"{where}.activities[{number}]", item, table, attributes))
    names = [activity.name for activity in activities]
    if len(set(names)) != len(names):
        raise fail(path, f"{where}.activities", "two activities have the same name (event ids would clash)")
    mapped = {spec.target for spec in specs} | (set(ACTIVITY_COLUMNS) if activities else set())
    missing = sorted(required - mapped)
    if missing:
        raise fail(path, where, f"required contract column(s) not mapped: {', '.join(missing)}")
    skip = raw.get("skip_when_empty") or ()
    skip = (skip,) if isinstance(skip, str) else tuple(str(c) for c in skip)
    result = TableSpec(table_name, source, tuple(specs), tuple(activities), skip,
                       parse_when(path, f"{where}.when", raw.get("when")), None if activities else attributes)
    _check_outcome_guard(path, result, sources[source])
    return result


def _spec(context: _Context, where: str, target: str, raw: object, required: bool) -> ColumnSpec:
    return column_spec(context.path, where, target, raw, context.timezone, required, context.snapshot)


def _attributes(context: _Context, where: str, table: ContractTable,
                raw: dict[object, object]) -> tuple[ColumnSpec, ...] | None:
    """The table's `custom_attributes:` (contacts, accounts) or `properties:` (events), if set."""
    json_column = ATTRIBUTE_COLUMNS.get(table.name)
    for key in {"custom_attributes", "properties"} & {str(k) for k in raw}:
        if key != json_column or key not in table.column_names:
            takes = ", ".join(f"{name} takes {column}" for name, column in ATTRIBUTE_COLUMNS.items())
            raise fail(context.path, f"{where}.{key}", f"not for table '{table.name}' ({takes})")
    if json_column is None or json_column not in raw:
        return None
    return parse_attributes(context.path, f"{where}.{json_column}", json_column, raw[json_column],
                            context.timezone, context.snapshot)


def _activity(context: _Context, where: str, raw: object, table: ContractTable,
              table_properties: tuple[ColumnSpec, ...] | None) -> Activity:
    path = context.path
    if not isinstance(raw, dict) or "name" not in raw or "event_type" not in raw:
        raise fail(path, where, "an activity needs name, event_type and occurred_at")
    overridable = [c for c in table.column_names if c not in ACTIVITY_COLUMNS | {"contact_id", "properties"}]
    unknown = sorted(str(key) for key in raw if key not in ACTIVITY_KEYS and key not in overridable)
    if unknown:
        raise fail(path, where, f"unknown key(s) {', '.join(unknown)} (known: "
                                f"{', '.join(sorted(ACTIVITY_KEYS))}, {', '.join(overridable)})")
    name = str(raw["name"])
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise fail(path, where, f"activity name {name!r} must be letters, digits, '_', '-' or '.'")
    if "occurred_at" in raw:
        occurred = _spec(context, f"{where}.occurred_at", "occurred_at", raw["occurred_at"], False)
    elif context.snapshot is not None:
        occurred = _spec(context, f"{where}.occurred_at", "occurred_at", {"snapshot": True}, False)
    else:
        raise fail(path, where, "an activity needs occurred_at (or a top-level snapshot_at to date it at)")
    max_count = raw.get("max_count", 100)
    if isinstance(max_count, bool) or not isinstance(max_count, int) or max_count < 1:
        raise fail(path, f"{where}.max_count", f"must be a whole number of at least 1, got {max_count!r}")
    own = parse_attributes(path, f"{where}.properties", "properties", raw["properties"], context.timezone,
                           context.snapshot) if "properties" in raw else None
    return Activity(
        name=name,
        event_type=_spec(context, f"{where}.event_type", "event_type", raw["event_type"], True),
        occurred_at=occurred,
        count=_spec(context, f"{where}.count", "count", raw["count"], False) if "count" in raw else None,
        max_count=max_count,
        columns=tuple(_spec(context, f"{where}.{column}", column, raw[column], False)
                      for column in overridable if column in raw),
        properties=merge(table_properties, own),
        when=parse_when(path, f"{where}.when", raw.get("when")),
    )


def _check_outcome_guard(path: Path, table: TableSpec, source: SourceSpec) -> None:
    """Outcome-only sources and columns may feed outcome tables only (columns, attributes, activities, filters)."""
    if table.table in OUTCOME_TABLES:
        return
    if source.role == "outcome":
        raise fail(path, f"tables.{table.table}",
                   f"reads source '{source.name}', which has role outcome: outcome-only data may only feed "
                   f"{', '.join(sorted(OUTCOME_TABLES))} (it would leak conversions into scoring inputs)")
    for where, columns in table.reads():
        leaked = columns & source.outcome_columns
        if leaked:
            raise fail(path, where, f"reads outcome-only column(s) {', '.join(sorted(leaked))} of source "
                                    f"'{source.name}': outcome-only data may only feed "
                                    f"{', '.join(sorted(OUTCOME_TABLES))}")
