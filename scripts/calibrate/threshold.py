"""`mql calibrate`, threshold part: sweep MQL settings over the training period, recommend one for a goal,
validate it on the holdout period, and say how uncertain it is (bootstrap over leads)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from scripts.calibrate.bootstrap import DEFAULT_LEVEL, bootstrap_weights, interval
from scripts.calibrate.frame import (
    FloatArray,
    LeadFrame,
    Mode,
    Outcome,
    Setting,
    load_leads,
    qualification_times,
    score_range,
    settings_grid,
)
from scripts.calibrate.periods import Periods, plan_periods, to_datetime
from scripts.calibrate.recommend import Goal, choose, choose_replicates
from scripts.calibrate.sweep import (
    Indicators,
    Metrics,
    channel_table,
    indicators,
    metrics,
    monthly_table,
    sweep_table,
)
from scripts.calibrate.workspace import project_vars, scoring_vars

MIN_SETTING_POSITIVES = 20
"""Below this many converted MQLs in the training period the recommendation is flagged as uncertain."""


@dataclass(frozen=True)
class CalibrationOptions:
    """What to calibrate and how (see `mql calibrate --help`)."""

    goal: Goal
    outcome: Outcome = "opportunity"
    mode: Mode | None = None
    horizon_days: float | None = None
    split: datetime | None = None
    train_start: datetime | None = None
    holdout_end: datetime | None = None
    step: float | None = None
    replicates: int = 200
    level: float = DEFAULT_LEVEL
    seed: int = 0
    min_mqls: int = 5


@dataclass
class ThresholdCalibration:
    """Everything the threshold calibration found, as tables and a JSON-ready summary."""

    leads: LeadFrame
    periods: Periods
    settings: list[Setting]
    current: Setting
    recommended: Setting
    times: FloatArray
    sweep: pd.DataFrame
    monthly: pd.DataFrame
    by_channel: pd.DataFrame
    summary: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    all_vars: dict[str, object] = field(default_factory=dict)
    has_recommendation: bool = True
    """False when no setting can be recommended (all qualify nobody or everybody, or nothing converts): then
    `recommended` is the current setting and no var changes."""

    @property
    def var_change(self) -> dict[str, tuple[object, object]]:
        """var name -> (current value, recommended value) for the vars that change."""
        return self.summary["var_change"]  # type: ignore[return-value]


def current_setting(all_vars: Mapping[str, object]) -> Setting:
    """The MQL setting the project's vars select."""
    mode = str(all_vars.get("qualification_mode", "fit_and_engagement"))
    if mode == "combined":
        return Setting("combined", None, float(all_vars.get("mql_combined_threshold", 100)))  # type: ignore[arg-type]
    return Setting("fit_and_engagement", str(all_vars.get("mql_min_fit_grade", "B")).upper(),
                   float(all_vars.get("mql_engagement_threshold", 60)))  # type: ignore[arg-type]


def _nice_step(top: float) -> float:
    raw = max(top, 1.0) / 40.0
    for candidate in (1, 2, 5, 10, 20, 25, 50, 100):
        if candidate >= raw:
            return float(candidate)
    return float(np.ceil(raw / 100.0) * 100.0)


def threshold_grid(connection: duckdb.DuckDBPyConnection, mode: Mode, current: Setting | None,
                   step: float | None) -> list[float]:
    """Thresholds from 0 to the 99th percentile of the score (rounded up), every `step` points, plus the current
    threshold."""
    p99, _ = score_range(connection, mode)
    size = step or _nice_step(p99)
    top = max(size, float(np.ceil(p99 / size) * size))
    values = set(np.round(np.arange(0.0, top + size / 2, size), 6).tolist())
    if current is not None and current.mode == mode:
        values.add(current.threshold)
    return sorted(float(v) for v in values)


def _row(setting: Setting, point: Metrics, k: int, beta: float) -> dict[str, object]:
    return {
        "setting": setting.label(),
        "mqls": int(point.mqls[k]),
        "mqls_per_month": float(point.mqls_per_month[k]),
        "mql_to_sql": _clean(point.conversion["sql"][k]),
        "mql_to_opportunity": _clean(point.conversion["opportunity"][k]),
        "precision": _clean(point.precision[k]),
        "recall": _clean(point.recall[k]),
        "lift": _clean(point.lift[k]),
        "f_beta": _clean(point.f_beta(beta)[k]),
    }


def _clean(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return number if np.isfinite(number) else None


def _intervals(replicates: Metrics, k: int, beta: float, level: float) -> dict[str, list[float | None]]:
    out: dict[str, list[float | None]] = {}
    for name, values in (("mqls_per_month", replicates.mqls_per_month[:, k]),
                         ("precision", replicates.precision[:, k]), ("recall", replicates.recall[:, k]),
                         ("lift", replicates.lift[:, k]), ("f_beta", replicates.f_beta(beta)[:, k])):
        low, high = interval(values, level)
        out[name] = [_clean(low), _clean(high)]
    return out


def _beta(goal: Goal) -> float:
    return goal.value if goal.kind == "fbeta" else 1.0


def calibrate_thresholds(database: Path, options: CalibrationOptions,
                         all_vars: Mapping[str, object] | None = None) -> ThresholdCalibration:
    """Run the threshold sweep and recommendation on the built warehouse at `database`."""
    all_vars = dict(project_vars() if all_vars is None else all_vars)
    current = current_setting(all_vars)
    mode: Mode = options.mode or current.mode
    beta = _beta(options.goal)
    with duckdb.connect(str(database), read_only=True) as connection:
        leads = load_leads(connection)
        periods = plan_periods(leads, horizon_days=options.horizon_days, split=options.split,
                               train_start=options.train_start, holdout_end=options.holdout_end)
        thresholds = threshold_grid(connection, mode, current, options.step)
        settings = settings_grid(mode, thresholds)
        times = qualification_times(connection, leads, settings, scoring_vars(all_vars))
        check = consistency_check(connection, leads, times, settings, current)
    warnings = list(periods.warnings)
    if check:
        warnings.append(check)
    h = periods.horizon_seconds
    train = indicators(times, leads, periods.training, h, options.outcome)
    weights = bootstrap_weights(leads.n, options.replicates, options.seed)
    train_point, train_reps = metrics(train), metrics(train, weights)
    allowed = (train_point.mqls > 0) & ~train.everybody
    excluded = _excluded_note(settings, train_point.mqls == 0, train.everybody)
    if excluded:
        warnings.append(excluded)
    prefer = current.min_fit_grade if current.mode == mode else None
    choice = choose(settings, train_point, options.goal, min_mqls=options.min_mqls, prefer_grade=prefer,
                    allowed=allowed)
    current_k = _index_of(settings, current)
    has_recommendation = choice.index is not None
    recommended = settings[choice.index] if choice.index is not None else current
    if not has_recommendation:
        warnings.append(f"no recommendation: {choice.note}; keep the current setting ({current.label()})")
    elif not choice.met:
        warnings.append(f"goal not reachable on the training period: {choice.note}")
    tables = [sweep_table(settings, train_point, train, beta, train_reps, options.level)]
    monthly = [monthly_table(settings, times, train)]
    channels = [channel_table(settings, leads, train)]
    hold: Indicators | None = None
    if periods.holdout is not None:
        hold = indicators(times, leads, periods.holdout, h, options.outcome)
        hold_point = metrics(hold)
        tables.append(sweep_table(settings, hold_point, hold, beta, metrics(hold, weights), options.level))
        monthly.append(monthly_table(settings, times, hold))
        channels.append(channel_table(settings, leads, hold))
    replicate_choices = choose_replicates(settings, train_reps, options.goal, min_mqls=options.min_mqls,
                                          prefer_grade=prefer, allowed=allowed) if options.replicates > 0 else []
    stability = _stability(settings, replicate_choices, choice.index, options.level) if has_recommendation else {}
    if has_recommendation:
        same_grade = [k for k, s in enumerate(settings) if s.min_fit_grade == recommended.min_fit_grade and allowed[k]]
        if len({int(train_point.mqls[k]) for k in same_grade}) <= 1:
            warnings.append("every threshold that qualifies anyone qualifies the same leads: the scores do not "
                            "separate leads on this data (little behaviour recorded?); conversion by channel and "
                            "the attribute lift of --rules show what does")
        converted = int(train_point.true_positives[choice.index])
        if converted < MIN_SETTING_POSITIVES:
            warnings.append(f"only {converted} converted MQLs behind the recommendation in the training period: "
                            "treat it as a rough estimate (see the bootstrap intervals)")
    summary: dict[str, Any] = {
        "goal": {"kind": options.goal.kind, "value": options.goal.value, "description": options.goal.describe(),
                 "met_on_training": choice.met, "note": choice.note},
        "outcome": options.outcome,
        "horizon_days": periods.horizon_days,
        "periods": {"training": periods.training.as_dict(),
                    "holdout": periods.holdout.as_dict() if periods.holdout else None},
        "leads": leads.n,
        "current": {"setting": current.label(), "vars": current.dbt_vars()},
        "recommended": {"setting": recommended.label(), "vars": recommended.dbt_vars()} if has_recommendation
        else None,
        "no_recommendation": None if has_recommendation else choice.note,
        "var_change": var_change(current, recommended, all_vars) if has_recommendation else {},
        "training": {},
        "stability": stability,
        "bootstrap": {"replicates": options.replicates, "level": options.level, "seed": options.seed},
        "warnings": warnings,
    }
    if choice.index is not None:
        summary["training"]["recommended"] = _row(recommended, train_point, choice.index, beta) | {
            "intervals": _intervals(train_reps, choice.index, beta, options.level)}
    if current_k is not None:
        summary["training"]["current"] = _row(current, train_point, current_k, beta)
    if hold is not None:
        hold_point = metrics(hold)
        hold_reps = metrics(hold, weights)
        validation: dict[str, Any] = {}
        if choice.index is not None:
            validation["recommended"] = _row(recommended, hold_point, choice.index, beta) | {
                "intervals": _intervals(hold_reps, choice.index, beta, options.level)}
        if current_k is not None:
            validation["current"] = _row(current, hold_point, current_k, beta) | {
                "intervals": _intervals(hold_reps, current_k, beta, options.level)}
            if choice.index is not None:
                validation["difference"] = _differences(hold_reps, choice.index, current_k, beta, options.level)
        summary["holdout"] = validation
    return ThresholdCalibration(
        leads=leads, periods=periods, settings=settings, current=current, recommended=recommended, times=times,
        sweep=pd.concat(tables, ignore_index=True), monthly=pd.concat(monthly, ignore_index=True),
        by_channel=pd.concat(channels, ignore_index=True), summary=summary, warnings=warnings, all_vars=all_vars,
        has_recommendation=has_recommendation,
    )


def _excluded_note(settings: list[Setting], nobody: np.ndarray, everybody: np.ndarray) -> str | None:
    """A note naming the settings that qualify nobody or every new lead in the training period (never
    recommended), or None."""
    parts = []
    for mask, what in ((nobody, "qualify nobody"), (everybody, "qualify every lead created")):
        names = [settings[k].label() for k in np.flatnonzero(mask)]
        if names:
            shown = "; ".join(names[:3]) + (f"; and {len(names) - 3} more" if len(names) > 3 else "")
            parts.append(f"{len(names)} {'setting' if len(names) == 1 else 'settings'} {what} ({shown})")
    if not parts:
        return None
    return " and ".join(parts) + " in the training period: they select nothing and are not recommended"


def _differences(reps: Metrics, k: int, base: int, beta: float, level: float) -> dict[str, list[float | None]]:
    """Bootstrap intervals of recommended minus current on the holdout (paired: same resampled leads)."""
    out: dict[str, list[float | None]] = {}
    for name, values in (("precision", reps.precision), ("recall", reps.recall), ("f_beta", reps.f_beta(beta)),
                         ("mqls_per_month", reps.mqls_per_month)):
        low, high = interval(values[:, k] - values[:, base], level)
        out[name] = [_clean(low), _clean(high)]
    return out


def _index_of(settings: list[Setting], wanted: Setting) -> int | None:
    for k, setting in enumerate(settings):
        if (setting.mode == wanted.mode and setting.threshold == wanted.threshold
                and (setting.min_fit_grade or None) == (wanted.min_fit_grade or None)):
            return k
    return None


def _stability(settings: list[Setting], chosen: list[int], k: int, level: float) -> dict[str, object]:
    if not chosen:
        return {}
    counts = Counter(chosen)
    same = counts.get(k, 0) / len(chosen)
    grade_counts = Counter(settings[c].min_fit_grade or "" for c in chosen)
    same_grade = [settings[c].threshold for c in chosen
                  if (settings[c].min_fit_grade or "") == (settings[k].min_fit_grade or "")]
    low, high = interval(same_grade, level) if same_grade else (np.nan, np.nan)
    return {"share_choosing_recommended": same,
            "threshold_interval": [_clean(low), _clean(high)],
            "grades_chosen": dict(grade_counts)}


def var_change(current: Setting, recommended: Setting,
               all_vars: Mapping[str, object] | None = None) -> dict[str, list[object]]:
    """The vars to change (name -> [current value, recommended value]); current values not implied by the
    current setting (e.g. mql_combined_threshold in fit_and_engagement mode) come from `all_vars`."""
    before: dict[str, Any] = {**dict(all_vars or {}), **current.dbt_vars()}
    after = recommended.dbt_vars()
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


def consistency_check(connection: duckdb.DuckDBPyConnection, leads: LeadFrame, times: FloatArray,
                      settings: list[Setting], current: Setting) -> str | None:
    """Compare the first qualification the sweep derives for the current setting with the warehouse's own first
    MQL events; a mismatch means the warehouse was built with other vars than dbt_project.yml says."""
    k = _index_of(settings, current)
    if k is None:
        return None
    rows = connection.execute(
        "select contact_id, epoch(min(qualified_at)) from marts.fct_mql_events group by contact_id").fetchall()
    built = np.full(leads.n, np.inf)
    index = leads.index()
    for contact_id, at in rows:
        if contact_id in index:
            built[index[contact_id]] = float(at)
    derived = times[:, k]
    mismatched = int(np.count_nonzero(~np.isclose(np.nan_to_num(built, posinf=-1), np.nan_to_num(derived, posinf=-1),
                                                  atol=1e-3, rtol=0)))
    if mismatched > max(1, 0.01 * leads.n):
        return (f"{mismatched} leads' first MQL in the warehouse differs from what its scores give for the current "
                f"vars ({current.label()}): was it built with other --vars? Rebuild with `mql build`.")
    return None


def qualification_frame(result: ThresholdCalibration, setting: Setting) -> pd.DataFrame:
    """Per lead: when it would first qualify under `setting` (for reports and tests)."""
    k = _index_of(result.settings, setting)
    if k is None:
        raise KeyError(setting.label())
    return pd.DataFrame({
        "contact_id": result.leads.contact_id,
        "qualified_at": [to_datetime(t) if np.isfinite(t) else None for t in result.times[:, k]],
    })
