"""Warnings for events an import synthesizes that the engagement rules will not score: an activity making
`count` events at one timestamp exceeds a rule's `max_per_day` (all of them fall on one day) or its
`max_points` cap, and `max_count` capping. Read from the rule and event type seeds, so the numbers say what
the next build will do."""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from scripts.paths import PROJECT_ROOT

RULES_SEED = PROJECT_ROOT / "seeds" / "scoring" / "engagement_rules.csv"
EVENT_TYPE_MAP_SEED = PROJECT_ROOT / "seeds" / "mappings" / "event_type_map.csv"


@dataclass(frozen=True)
class Rule:
    """The parts of an engagement rule that decide clipping."""

    rule_id: str
    event_type: str
    points: float
    max_points: float | None  # None too for points per unit of a quantity (events are worth different points)
    max_per_day: int | None
    condition: str


def lookup_key(value: str) -> str:
    """The seed lookup key of a vendor spelling (as macros/staging/lookup_key.sql: lowercased, trimmed, runs of
    white space made one space)."""
    return re.sub(r"\s+", " ", value).strip().lower()


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text and text.strip() else None
    except ValueError:
        return None


def load_rules(rules_seed: Path | None = None, type_map_seed: Path | None = None
               ) -> tuple[dict[str, list[Rule]], dict[str, str]]:
    """Rules by our event type and the vendor spelling -> event type map (empty when a seed is missing);
    the project's seeds by default."""
    rules_seed = rules_seed or RULES_SEED
    type_map_seed = type_map_seed or EVENT_TYPE_MAP_SEED
    rules: dict[str, list[Rule]] = {}
    types: dict[str, str] = {}
    if rules_seed.is_file():
        with rules_seed.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                points = _number(row.get("points"))
                if not points:
                    continue
                day = _number(row.get("max_per_day"))
                field_name = (row.get("condition_field") or "").strip()
                operator = (row.get("condition_operator") or "").strip() or "="
                condition = f" (when {field_name} {operator} {row.get('condition_value', '')})" if field_name else ""
                event_type = (row.get("event_type") or "").strip()
                per_unit = bool((row.get("quantity_field") or "").strip())  # points per unit: no fixed cap count
                rules.setdefault(event_type, []).append(Rule(
                    (row.get("rule_id") or "").strip(), event_type, points,
                    None if per_unit else _number(row.get("max_points")), int(day) if day else None, condition))
    if type_map_seed.is_file():
        with type_map_seed.open(encoding="utf-8", newline="") as handle:
            types = {lookup_key(r.get("raw_event_type") or ""): (r.get("event_type") or "").strip()
                     for r in csv.DictReader(handle)}
    return rules, types


Key = tuple[str, str, str, str]
"""(kind: max_count | daily | cap, activity, rule id, event type)."""


@dataclass
class ClipWatch:
    """Counts, per activity and rule, the rows whose synthesized events a rule will clip, and the events lost."""

    rules: dict[str, list[Rule]]
    types: dict[str, str]
    rows: Counter[Key] = field(default_factory=Counter)
    lost: Counter[Key] = field(default_factory=Counter)
    limits: dict[str, int] = field(default_factory=dict)

    def _add(self, key: Key, lost: int) -> None:
        self.rows[key] += 1
        self.lost[key] += lost

    def observe(self, activity: str, raw_event_type: str, count: int) -> None:
        """A row makes `count` events of `raw_event_type` at one timestamp."""
        if count <= 1:
            return
        event_type = self.types.get(lookup_key(raw_event_type), "")
        for rule in self.rules.get(event_type, ()):
            scored = count
            if rule.max_per_day is not None and count > rule.max_per_day:
                self._add(("daily", activity, rule.rule_id, event_type), count - rule.max_per_day)
                scored = rule.max_per_day
            if rule.max_points is not None and scored * abs(rule.points) > abs(rule.max_points):
                needed = math.ceil(abs(rule.max_points) / abs(rule.points))
                self._add(("cap", activity, rule.rule_id, event_type), scored - needed)

    def observe_max_count(self, activity: str, count: int, max_count: int) -> None:
        """A row asked for `count` events of an activity capped at `max_count`."""
        self._add(("max_count", activity, "", ""), count - max_count)
        self.limits[activity] = max_count

    def warnings(self, table: str) -> list[str]:
        """One line per activity and rule that clips, with counts."""
        by_id = {rule.rule_id: rule for rules in self.rules.values() for rule in rules}
        order = {"max_count": 0, "daily": 1, "cap": 2}
        lines = []
        for key in sorted(self.rows, key=lambda k: (order[k[0]], *k[1:])):
            kind, activity, rule_id, event_type = key
            rows, lost = f"{self.rows[key]:,}", f"{self.lost[key]:,}"
            if kind == "max_count":
                lines.append(f"{table}: activity {activity}: {rows} rows had more than max_count "
                             f"{self.limits[activity]} events (capped: {lost} events not written)")
                continue
            rule = by_id[rule_id]
            if kind == "daily":
                lines.append(f"{table}: activity {activity}: {rows} rows synthesize more than {rule.max_per_day} "
                             f"{event_type} events at one time; rule {rule_id}{rule.condition} scores only "
                             f"{rule.max_per_day} a day ({lost} events will score 0)")
            else:
                lines.append(f"{table}: activity {activity}: {rows} rows synthesize {event_type} events at one "
                             f"time worth more than max_points {_text(rule.max_points)} ({_text(rule.points)} "
                             f"points each); rule {rule_id}{rule.condition} caps them ({lost} events will score 0)")
        return lines


def _text(number: float | None) -> str:
    if number is None:
        return ""
    return str(int(number)) if number.is_integer() else str(number)
