"""The threshold curve: from `mql calibrate`'s output (`warehouse/calibration/`) when it exists, else computed from
the warehouse's own MQL definition (the leads each threshold would make MQLs, against opportunities).

`mql calibrate` writes the overall sweep to `sweep.csv` and its summary, with the recommendation, to
`calibration.json` (beside them `sweep_monthly.csv` and `by_channel.csv` break the sweep down by month and channel:
they are never the curve). The chart reads `sweep.csv` (or a sweep list inside `calibration.json`) and names that
file. A row needs a `threshold`, an MQL volume (`mqls`, `mql_volume`, ...) and a precision (`precision`,
`mql_to_opportunity`, ...); rows for another qualification mode or minimum fit grade are dropped, and of several
periods the training one is used. The recommended threshold comes from the JSON's `recommended_threshold`, or
`recommended.threshold`, or the threshold var in `recommended.vars`.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.paths import WAREHOUSE_DIR
from scripts.report.config import ReportConfig
from scripts.report.queries import CONVERTED_CTE
from scripts.report.warehouse import MARTS, Table, Warehouse

CALIBRATION_DIR: Path = WAREHOUSE_DIR / "calibration"
MIN_VOLUME_FOR_PRECISION = 5
"""Below this many would-be MQLs the computed precision is left out (one or two leads make it jump)."""
THRESHOLD_STEPS = 40
"""Thresholds on the computed curve's grid (from 0 to 1.25 times the larger of the configured threshold and the
highest score, in round steps), plus the configured threshold."""
VOLUME_KEYS: tuple[str, ...] = ("mql_volume", "mqls", "mql_count", "mql_leads", "volume", "mqls_per_month")
PRECISION_KEYS: tuple[str, ...] = ("precision", "mql_to_opportunity", "mql_to_opportunity_rate", "opportunity_rate",
                                   "conversion_rate", "conversion")
LIST_KEYS: tuple[str, ...] = ("sweep", "thresholds", "curve", "results", "rows")
SWEEP_FILE = "sweep.csv"  # the overall sweep of `mql calibrate` (scripts/calibrate_cli.py writes it)
SUMMARY_FILE = "calibration.json"  # its summary: the recommendation
TRAINING_PERIODS: tuple[str, ...] = ("training", "train")
CURVE_COLUMNS: tuple[str, ...] = ("threshold", "mql_volume", "precision", "base_rate")


@dataclass(frozen=True)
class ThresholdCurve:
    """Rows (threshold, mql_volume, precision, base_rate) and, from calibration, a recommended threshold."""

    table: Table
    recommended: float | None = None


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip():
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _first_number(record: Mapping[str, Any], keys: Sequence[str]) -> float | None:
    for key in keys:
        value = _number(record.get(key))
        if value is not None:
            return value
    return None


def _records(document: Any) -> list[Mapping[str, Any]]:
    if isinstance(document, list):
        return [item for item in document if isinstance(item, Mapping)]
    if isinstance(document, Mapping):
        for key in LIST_KEYS:
            if isinstance(document.get(key), list):
                return _records(document[key])
    return []


def _recommended(document: Any, config: ReportConfig) -> float | None:
    if not isinstance(document, Mapping):
        return None
    value = _number(document.get("recommended_threshold"))
    recommended = document.get("recommended")
    if value is None and isinstance(recommended, Mapping):
        value = _number(recommended.get("threshold"))
        variables = recommended.get("vars")
        if value is None and isinstance(variables, Mapping):
            key = "mql_combined_threshold" if config.is_combined else "mql_engagement_threshold"
            value = _number(variables.get(key))
    return value if value is not None else _number(recommended)


def _matches(record: Mapping[str, Any], config: ReportConfig) -> bool:
    """Keep rows of the configured mode and minimum fit grade (rows that do not say are kept)."""
    mode = record.get("mode") or record.get("qualification_mode")
    if mode and mode != config.qualification_mode:
        return False
    grade = record.get("min_fit_grade") or record.get("mql_min_fit_grade")
    return config.is_combined or not grade or grade == config.mql_min_fit_grade


def _curve_rows(records: list[Mapping[str, Any]], config: ReportConfig) -> list[tuple[Any, ...]]:
    kept = [record for record in records if _matches(record, config)]
    periods = {str(record["period"]) for record in kept if record.get("period")}
    if len(periods) > 1:
        wanted = next((period for period in TRAINING_PERIODS if period in periods), min(periods))
        kept = [record for record in kept if str(record.get("period")) == wanted]
    rows: dict[float, tuple[Any, ...]] = {}
    for record in kept:
        threshold = _first_number(record, ("threshold",))
        volume = _first_number(record, VOLUME_KEYS)
        precision = _first_number(record, PRECISION_KEYS)
        if threshold is not None and volume is not None:
            rows.setdefault(threshold, (threshold, volume, precision, _number(record.get("base_rate"))))
    return [rows[key] for key in sorted(rows)]


def _read(path: Path) -> tuple[list[Mapping[str, Any]], Any]:
    """(sweep records, parsed JSON document or None) of one file; empty when unreadable."""
    try:
        if path.suffix == ".csv":
            with path.open(newline="", encoding="utf-8") as handle:
                return list(csv.DictReader(handle)), None
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, csv.Error):
        return [], None
    return _records(document), document


def read_calibration(directory: Path, config: ReportConfig) -> ThresholdCurve | None:
    """The overall sweep `mql calibrate` wrote to `directory` with the recommendation of its summary, or None when
    there is no usable one."""
    summary_records, document = _read(directory / SUMMARY_FILE) if (directory / SUMMARY_FILE).is_file() else ([], None)
    sweep_records = _read(directory / SWEEP_FILE)[0] if (directory / SWEEP_FILE).is_file() else []
    for name, records in ((SWEEP_FILE, sweep_records), (SUMMARY_FILE, summary_records)):
        rows = _curve_rows(records, config)
        if any(row[2] is not None for row in rows):
            source = f"calibration output {directory / name} (`mql calibrate`)"
            return ThresholdCurve(Table(CURVE_COLUMNS, rows, source), _recommended(document, config))
    return None


def _round_step(raw: float) -> float:
    """A readable step (1, 2 or 5 times a power of ten) at least `raw`; 1 when `raw` is not > 0."""
    if not raw > 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1.0, 2.0, 5.0, 10.0) if raw / magnitude <= m)


def computed_curve(warehouse: Warehouse, config: ReportConfig) -> ThresholdCurve:
    """The curve from the warehouse's MQL definition (the dbt macro every build uses, run for each threshold of a
    grid by `scripts/calibrate/qualification.py`, fast-track hits included): volume = leads that would ever be MQLs
    at the threshold (the configured mode and minimum fit grade); precision = the share of them that became an
    opportunity's primary contact (left out below MIN_VOLUME_FOR_PRECISION leads); base rate = that share over all
    leads. A warehouse built without `fct_opportunity_attribution` (a scoring-only build, as `mql calibrate`'s
    workspace makes) has no outcomes: the curve is volume only, and its source says so."""
    from scripts.calibrate.qualification import first_mqls

    score = config.threshold_score_column
    warehouse.require(MARTS, "fct_lead_score_history", (
        "contact_id", score, "fit_score_before", "engagement_score_before", "is_first_instant",
        "has_fast_track_points"))
    warehouse.require(MARTS, "dim_leads", ("contact_id",))
    knows_outcomes = warehouse.has(MARTS, "fct_opportunity_attribution", ("contact_id", "link_method"))
    top_row = warehouse.connection.execute(f"select max({score}) from {MARTS}.fct_lead_score_history").fetchone()
    top = max(float(top_row[0]) if top_row and top_row[0] is not None else 0.0, config.threshold) * 1.25
    step = _round_step(top / THRESHOLD_STEPS)
    thresholds = sorted({round(k * step, 6) for k in range(math.ceil(top / step) + 1)} | {config.threshold})
    if config.is_combined:
        settings = [{"setting_id": str(k), "qualification_mode": "combined", "mql_combined_threshold": t}
                    for k, t in enumerate(thresholds)]
    else:
        settings = [{"setting_id": str(k), "qualification_mode": "fit_and_engagement",
                     "mql_min_fit_grade": config.mql_min_fit_grade, "mql_engagement_threshold": t}
                    for k, t in enumerate(thresholds)]
    mqls = first_mqls(warehouse.connection, settings)
    leads_row = warehouse.query(f"select count(*) from {MARTS}.dim_leads", source="").rows[0]
    converted = {str(row[0]) for row in warehouse.query(f"with {CONVERTED_CTE} select contact_id from converted",
                                                         source="").rows} if knows_outcomes else set()
    all_leads = int(leads_row[0])
    all_converted = len(converted) if knows_outcomes else None
    rows = []
    for k, threshold in enumerate(thresholds):
        leads = mqls.loc[mqls["setting_id"] == str(k), "contact_id"].astype(str)
        volume = int(leads.nunique())
        hits = int(leads.isin(converted).sum())
        precise = knows_outcomes and volume >= MIN_VOLUME_FOR_PRECISION
        rows.append((float(threshold), volume, hits / volume if precise else None,
                     all_converted / all_leads if all_leads and all_converted is not None else None))
    if not all_leads:
        rows = []
    outcome = ("converted = primary contact of an opportunity" if knows_outcomes else
               f"{MARTS}.fct_opportunity_attribution is not built: volume only")
    source = (f"leads that would be MQLs at each threshold: the MQL definition (macro mql_crossing_candidates) over "
              f"{MARTS}.fct_lead_score_history; {outcome}")
    return ThresholdCurve(Table(CURVE_COLUMNS, rows, source))


def load_threshold_curve(warehouse: Warehouse, config: ReportConfig,
                         calibration_dir: Path | None = CALIBRATION_DIR) -> ThresholdCurve:
    """Calibration output when present (pass `calibration_dir=None` to ignore it), else the computed curve."""
    calibrated = read_calibration(calibration_dir, config) if calibration_dir is not None else None
    return calibrated or computed_curve(warehouse, config)
