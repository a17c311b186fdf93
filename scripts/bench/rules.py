"""The engagement rules as the benchmark's reference implementations read them (the seed file itself).

A test oracle: it reads the CSV directly and checks only what the oracles rely on (the build validates the rubric
fully, `macros/scoring/scoring_rules.sql`). A rule matches an event of its `event_type` when its condition holds
(`condition_field` `condition_operator` `condition_value`) and, for a rule with a quantity (`quantity_field`), the
quantity is at least one `quantity_unit`; it then earns `points`, or `points` per whole unit of the quantity.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from scripts.paths import PROJECT_ROOT

RULES_FILE = PROJECT_ROOT / "seeds" / "scoring" / "engagement_rules.csv"

TEXT_FIELDS = ("page_category", "campaign_id", "asset_name", "url")
NUMBER_FIELDS = ("duration_seconds",)
PROPERTY_PREFIX = "properties."
TEXT_OPERATORS = ("=", "!=", "in", "not in", "contains")
NUMBER_OPERATORS = (">=", ">", "<=", "<")
_PROPERTY = re.compile(r"^properties\.[a-z][a-z0-9_]*$")
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


@dataclass(frozen=True)
class Condition:
    field: str  # an event column (TEXT_FIELDS, NUMBER_FIELDS) or properties.<key>
    operator: str  # one of TEXT_OPERATORS or NUMBER_OPERATORS
    values: tuple[str, ...]  # trimmed; several for in / not in
    number: float | None  # the value of a numeric comparison (NUMBER_OPERATORS)

    def numbers(self) -> tuple[float, ...] | None:
        """The values as numbers when every one is a number (for =, != or a list on a number field), else None."""
        return tuple(float(v) for v in self.values) if all(_NUMBER.match(v) for v in self.values) else None


@dataclass(frozen=True)
class Quantity:
    field: str  # duration_seconds or properties.<key>
    unit: float


@dataclass(frozen=True)
class Rule:
    rule_id: str
    event_type: str
    condition: Condition | None
    quantity: Quantity | None
    points: float  # per event, or per whole quantity unit
    max_points: float | None
    max_per_day: int | None
    window_days: int | None
    half_life_days: float | None
    is_fast_track: bool

    def property_keys(self) -> set[str]:
        """The keys of the event's `properties` JSON the rule reads."""
        fields = [part.field for part in (self.condition, self.quantity) if part is not None]
        return {field.removeprefix(PROPERTY_PREFIX) for field in fields if is_property(field)}


def is_property(field: str) -> bool:
    return field.startswith(PROPERTY_PREFIX)


def property_keys(rules: list[Rule]) -> list[str]:
    """Every property key the rules read, sorted."""
    return sorted(set().union(*(rule.property_keys() for rule in rules)))


def _blank(value: str | None) -> str | None:
    return None if value is None or value.strip() == "" else value


def _opt_float(value: str | None) -> float | None:
    return float(value) if _blank(value) else None


def _opt_int(value: str | None) -> int | None:
    return int(float(value)) if _blank(value) else None


def _check_field(rule_id: str, field: str, setting: str) -> None:
    if field not in TEXT_FIELDS + NUMBER_FIELDS and not _PROPERTY.match(field):
        raise ValueError(f"rule {rule_id}: unknown {setting} {field!r}")


def _condition(rule_id: str, row: dict[str, str]) -> Condition | None:
    field, operator, value = (_blank(row.get(k)) for k in ("condition_field", "condition_operator", "condition_value"))
    if field is None and operator is None and value is None:
        return None
    if field is None or value is None:
        raise ValueError(f"rule {rule_id}: condition_field and condition_value must be both set or both empty")
    field = field.strip()
    _check_field(rule_id, field, "condition_field")
    operator = (operator or "=").strip().lower()
    value = value.strip()
    if operator in NUMBER_OPERATORS:
        if not _NUMBER.match(value) or field in TEXT_FIELDS:
            raise ValueError(f"rule {rule_id}: {operator} compares numbers: {field} {operator} {value!r}")
        return Condition(field, operator, (value,), float(value))
    if operator not in TEXT_OPERATORS:
        raise ValueError(f"rule {rule_id}: unknown condition_operator {operator!r}")
    values = tuple(item.strip() for item in value.split("|")) if operator in ("in", "not in") else (value,)
    return Condition(field, operator, values, None)


def _quantity(rule_id: str, row: dict[str, str]) -> Quantity | None:
    field, unit = _blank(row.get("quantity_field")), _opt_float(row.get("quantity_unit"))
    if field is None:
        if unit is not None:
            raise ValueError(f"rule {rule_id}: quantity_unit needs a quantity_field")
        return None
    field = field.strip()
    _check_field(rule_id, field, "quantity_field")
    if field in TEXT_FIELDS:
        raise ValueError(f"rule {rule_id}: quantity_field {field!r} is text")
    unit = 1.0 if unit is None else unit
    if unit <= 0:
        raise ValueError(f"rule {rule_id}: quantity_unit must be positive, got {unit}")
    return Quantity(field, unit)


def read_rules(path: Path = RULES_FILE) -> list[Rule]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [Rule(row["rule_id"], row["event_type"], _condition(row["rule_id"], row), _quantity(row["rule_id"], row),
                     float(row["points"]), _opt_float(row["max_points"]), _opt_int(row["max_per_day"]),
                     _opt_int(row["window_days"]), _opt_float(row["half_life_days"]),
                     row["is_fast_track"].strip().lower() in ("true", "1"))
                for row in csv.DictReader(handle)]
