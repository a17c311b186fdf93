"""The qualification settings the report marks on its charts (threshold, mode, SLA), read from the dbt project.

dbt keeps project vars out of `manifest.json`, so the values come from `dbt_project.yml` and are overlaid by the
`--vars` of the latest dbt build or run recorded in the target folder's `run_results.json`, when there is one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from scripts.paths import PROJECT_ROOT

FIT_GRADES: tuple[str, ...] = ("A", "B", "C", "D")
ENGAGEMENT_BANDS: tuple[int, ...] = (1, 2, 3, 4)


@dataclass(frozen=True)
class ReportConfig:
    """Qualification and SLA settings the charts mark; defaults match `dbt_project.yml`."""

    qualification_mode: str = "fit_and_engagement"
    mql_min_fit_grade: str = "B"
    mql_engagement_threshold: float = 60.0
    mql_combined_threshold: float = 100.0
    sla_buckets_minutes: tuple[float, ...] = (5.0, 60.0, 1440.0)
    sla_target_minutes: float = 60.0
    source: str = "defaults"

    @property
    def is_combined(self) -> bool:
        """The threshold applies to fit + engagement points (mode `combined`)."""
        return self.qualification_mode == "combined"

    @property
    def threshold(self) -> float:
        """The configured threshold on the score the mode qualifies on."""
        return self.mql_combined_threshold if self.is_combined else self.mql_engagement_threshold

    @property
    def threshold_score_column(self) -> str:
        """The score column (in dim_leads and the score history) the threshold applies to."""
        return "total_score" if self.is_combined else "engagement_score"

    @property
    def threshold_label(self) -> str:
        """Human label of the score the threshold applies to."""
        if self.is_combined:
            return "fit + engagement points"
        return f"engagement points (fit grade {self.mql_min_fit_grade} or better)"

    @property
    def qualifying_grades(self) -> tuple[str, ...]:
        """Fit grades that may qualify in mode `fit_and_engagement` (all grades in mode `combined`)."""
        if self.is_combined or self.mql_min_fit_grade not in FIT_GRADES:
            return FIT_GRADES
        return FIT_GRADES[: FIT_GRADES.index(self.mql_min_fit_grade) + 1]

    def describe(self) -> str:
        """One line for the report header."""
        if self.is_combined:
            rule = f"fit + engagement >= {self.mql_combined_threshold:g}"
        else:
            rule = f"fit grade >= {self.mql_min_fit_grade} and engagement >= {self.mql_engagement_threshold:g}"
        return f"MQL rule: {rule}; speed-to-lead SLA {format_minutes(self.sla_target_minutes)}"


def format_minutes(minutes: float) -> str:
    """5 -> '5 min', 60 -> '1 h', 1440 -> '24 h'."""
    if minutes >= 60 and minutes % 60 == 0:
        return f"{minutes / 60:g} h"
    return f"{minutes:g} min"


def _number(value: object, default: float) -> float:
    if isinstance(value, bool):
        return default
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return default
    return default


def _buckets(value: object, default: tuple[float, ...]) -> tuple[float, ...]:
    if not isinstance(value, list | tuple) or not value:
        return default
    numbers = [_number(item, -1.0) for item in value]
    if any(number <= 0 for number in numbers):
        return default
    return tuple(sorted(numbers))


def config_from_vars(variables: Mapping[str, object], source: str) -> ReportConfig:
    """Build the config from a mapping of dbt vars; unknown or malformed values keep the defaults."""
    defaults = ReportConfig()
    mode = variables.get("qualification_mode", defaults.qualification_mode)
    grade = variables.get("mql_min_fit_grade", defaults.mql_min_fit_grade)
    return ReportConfig(
        qualification_mode=str(mode) if mode in ("fit_and_engagement", "combined") else defaults.qualification_mode,
        mql_min_fit_grade=str(grade) if grade in FIT_GRADES else defaults.mql_min_fit_grade,
        mql_engagement_threshold=_number(variables.get("mql_engagement_threshold"),
                                         defaults.mql_engagement_threshold),
        mql_combined_threshold=_number(variables.get("mql_combined_threshold"), defaults.mql_combined_threshold),
        sla_buckets_minutes=_buckets(variables.get("speed_to_lead_sla_buckets_minutes"),
                                     defaults.sla_buckets_minutes),
        sla_target_minutes=_number(variables.get("speed_to_lead_sla_minutes"), defaults.sla_target_minutes),
        source=source,
    )


def dbt_target_dir() -> Path:
    """dbt's target folder: `$DBT_TARGET_PATH` (relative to the project root) or `target/`."""
    raw = Path(os.environ.get("DBT_TARGET_PATH", "target"))
    return raw if raw.is_absolute() else PROJECT_ROOT / raw


def _build_vars(target_dir: Path) -> dict[str, object]:
    """The `--vars` of the last dbt build/run/seed recorded in run_results.json (empty when none)."""
    results = target_dir / "run_results.json"
    try:
        arguments = json.loads(results.read_text(encoding="utf-8")).get("args", {})
    except (OSError, ValueError, AttributeError):
        return {}
    if arguments.get("which") not in ("build", "run"):
        return {}
    variables = arguments.get("vars") or {}
    if isinstance(variables, str):  # older dbt versions store the raw --vars text
        try:
            variables = yaml.safe_load(variables) or {}
        except yaml.YAMLError:
            return {}
    return dict(variables) if isinstance(variables, dict) else {}


def load_config(project_dir: Path = PROJECT_ROOT, target_dir: Path | None = None) -> ReportConfig:
    """The configured thresholds: `dbt_project.yml` vars, overlaid by the last build's `--vars`."""
    try:
        project = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return ReportConfig()
    variables: dict[str, object] = dict(project.get("vars") or {})
    overrides = _build_vars(target_dir or dbt_target_dir())
    variables.update(overrides)
    source = "dbt_project.yml vars" + (" + --vars of the last build" if overrides else "")
    return config_from_vars(variables, source)
