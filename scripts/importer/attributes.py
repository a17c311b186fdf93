"""Pass-through of export columns into a JSON column of the contract: `custom_attributes` of contacts and
accounts, `properties` of events. A mapping lists them as attribute name -> column spec, or as a plain list of
source columns (the attribute is named after the column). Values are written as a compact JSON object with
sorted keys; `type: number | integer` makes a JSON number, `type: boolean` a JSON boolean (contacts and
accounts only), anything else text; empty values are left out, and a row with none writes an empty cell."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

from scripts.importer.specs import ColumnSpec, column_spec, fail
from scripts.importer.values import evaluate, number_value

ATTRIBUTE_NAME = re.compile(r"[a-z][a-z0-9_]*")
ATTRIBUTE_COLUMNS: dict[str, str] = {"contacts": "custom_attributes", "accounts": "custom_attributes",
                                     "events": "properties"}
"""The JSON column each table passes export columns into (the key of the table spec has the same name)."""


def attribute_name(column: str) -> str:
    """The attribute name for a source column: lowercased, every run of other characters than a-z and 0-9
    made one `_`, none at the ends (`emp.var.rate` -> `emp_var_rate`)."""
    return re.sub(r"[^a-z0-9]+", "_", column.lower()).strip("_")


def parse_attributes(path: Path, where: str, column: str, raw: object, timezone: str,
                     snapshot: str | None) -> tuple[ColumnSpec, ...]:
    """Parse the `custom_attributes:` / `properties:` entry of the JSON contract `column` into one spec per
    attribute, targeted `<column>.<name>` (so messages say which attribute)."""
    if isinstance(raw, list):
        if not all(isinstance(item, str) for item in raw):
            raise fail(path, where, "a list names source columns; use `name: spec` entries for anything else")
        items: dict[object, object] = {attribute_name(column): column for column in raw}
        if len(items) != len(raw):
            raise fail(path, where, "two source columns give the same attribute name: map them by name")
    elif isinstance(raw, dict):
        items = raw
    else:
        raise fail(path, where, "expected a mapping of attribute name -> column spec, or a list of source columns")
    specs: list[ColumnSpec] = []
    for name, spec in items.items():
        if not isinstance(name, str) or not ATTRIBUTE_NAME.fullmatch(name):
            raise fail(path, f"{where}.{name}", f"attribute name {name!r} must match ^[a-z][a-z0-9_]*$ "
                                                "(map the column under such a name)")
        parsed = column_spec(path, f"{where}.{name}", f"{column}.{name}", spec, timezone, False, snapshot)
        if parsed.kind == "boolean" and column == "properties":
            raise fail(path, f"{where}.{name}", "event properties are text or numbers (no type: boolean)")
        specs.append(parsed)
    return tuple(specs)


def merge(base: tuple[ColumnSpec, ...] | None, own: tuple[ColumnSpec, ...] | None) -> tuple[ColumnSpec, ...] | None:
    """An activity's properties: the table's, with the activity's own added (its spec wins for a name both set)."""
    if base is None and own is None:
        return None
    merged = {spec.target: spec for spec in base or ()}
    merged.update({spec.target: spec for spec in own or ()})
    return tuple(merged.values())


def to_json(specs: tuple[ColumnSpec, ...], row: Mapping[str, str]) -> str:
    """The JSON object text for a row ("" when every value is empty); raises UnmappableValue like evaluate."""
    document: dict[str, str | int | float | bool] = {}
    for spec in specs:
        value = evaluate(spec, row)
        if not value:
            continue
        name = spec.target.split(".", 1)[1]
        if spec.kind in ("number", "integer"):
            document[name] = number_value(value)
        elif spec.kind == "boolean":
            document[name] = value == "true"
        else:
            document[name] = value
    if not document:
        return ""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
