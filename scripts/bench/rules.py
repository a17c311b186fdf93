"""The engagement rules as the benchmark's reference implementations read them (the seed file itself)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from scripts.paths import PROJECT_ROOT

RULES_FILE = PROJECT_ROOT / "seeds" / "scoring" / "engagement_rules.csv"


@dataclass(frozen=True)
class Rule:
    rule_id: str
    event_type: str
    condition_field: str | None
    condition_value: str | None
    points: float
    max_points: float | None
    max_per_day: int | None
    window_days: int | None
    half_life_days: float | None
    is_fast_track: bool


def _opt_float(value: str) -> float | None:
    return float(value) if value else None


def _opt_int(value: str) -> int | None:
    return int(value) if value else None


def read_rules(path: Path = RULES_FILE) -> list[Rule]:
    with path.open(encoding="utf-8") as handle:
        return [Rule(row["rule_id"], row["event_type"], row["condition_field"] or None, row["condition_value"] or None,
                     float(row["points"]), _opt_float(row["max_points"]), _opt_int(row["max_per_day"]),
                     _opt_int(row["window_days"]), _opt_float(row["half_life_days"]), row["is_fast_track"] == "true")
                for row in csv.DictReader(handle)]
