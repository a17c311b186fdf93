"""`mql calibrate --rules`: rule lift on point-in-time snapshots, a proposed rubric from a logistic regression,
and a backtest of current against proposed rubric on the holdout period.

The backtest builds the proposed seeds with dbt on the same raw data (a throwaway project copy; the user's
warehouse is not touched) and compares, on the holdout period:

- **AUC**: how well each rubric's score ranks leads that reach the outcome in the period above those that do not
  (score = the highest total score the lead showed from one horizon before the period until sales took it);
- **precision at equal MQL volume**: the conversion of the proposed rubric at the threshold that gives as many
  MQLs as the current setting, against the current setting's conversion;
- each rubric at the threshold calibrated for the goal on the training period.

Optionally (`--predictive`) a gradient-boosting model on the same snapshot features is scored on a holdout
snapshot for comparison. It is reported, never used: the rubric stays the scoring model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scripts.calibrate.bootstrap import bootstrap_weights, interval
from scripts.calibrate.frame import LeadFrame, Setting, peak_scores, qualification_times, settings_grid
from scripts.calibrate.lift import (
    ENGAGEMENT_SEED,
    FIT_SEED,
    RegressionFit,
    attribute_lift,
    fit_weights,
    proposed_seed_text,
    read_rules,
    rule_lift,
)
from scripts.calibrate.periods import Period, to_datetime
from scripts.calibrate.recommend import choose, nearest_volume
from scripts.calibrate.snapshots import ATTRIBUTES, Snapshot, snapshot_instants, stack, take_snapshots
from scripts.calibrate.sweep import Metrics, indicators, metrics
from scripts.calibrate.threshold import CalibrationOptions, ThresholdCalibration, threshold_grid, var_change
from scripts.calibrate.workspace import RuleVersion, Workspace, working_tree_version

EQUAL_VOLUME_STEP = 1.0
"""Threshold step of the proposed rubric's sweep in the backtest."""


@dataclass
class RuleCalibration:
    """Lift tables, proposed seed texts and the backtest summary."""

    rule_lift: pd.DataFrame
    attribute_lift: pd.DataFrame
    proposed_seeds: dict[str, str]
    summary: dict[str, Any]
    backtest: pd.DataFrame = field(default_factory=pd.DataFrame)


def _auc(label: np.ndarray, score: np.ndarray, weight: np.ndarray | None = None) -> float:
    from sklearn.metrics import roc_auc_score

    if len(set(label.tolist())) < 2:
        return float("nan")
    finite = np.where(np.isfinite(score), score, np.nanmin(np.where(np.isfinite(score), score, np.nan)) - 1.0
                      if np.isfinite(score).any() else 0.0)
    if weight is not None and (weight[label == 1].sum() == 0 or weight[label == 0].sum() == 0):
        return float("nan")
    return float(roc_auc_score(label, finite, sample_weight=weight))


def holdout_population(leads: LeadFrame, period: Period, outcome: str) -> tuple[np.ndarray, np.ndarray]:
    """Leads open at some point of the holdout period (created before its end, not taken by sales before its
    start) and whether each reached `outcome` in it."""
    eligible = (leads.created_at < period.end) & (leads.handoff_at >= period.start)
    target = leads.outcome_at(outcome)  # type: ignore[arg-type]
    label = ((target >= period.start) & (target < period.end)).astype(int)
    return eligible, label


def _clean(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _proposed_version(current: RuleVersion, seeds: dict[str, str], combined_threshold: float) -> RuleVersion:
    dbt_vars = dict(current.dbt_vars)
    dbt_vars.update({"qualification_mode": "combined", "mql_combined_threshold": combined_threshold})
    return RuleVersion("proposed", seeds, dbt_vars)


def calibrate_rules(database: Path, thresholds: ThresholdCalibration, options: CalibrationOptions, *,
                    raw_schema: str = "raw", snapshot_count: int = 3, regularisation: float = 1.0,
                    anchored: bool = True,
                    predictive: bool = False, workspace: Workspace | None = None) -> RuleCalibration:
    """Rule lift on training snapshots, suggested points, and the backtest of the proposed rubric (built in
    `workspace`, or in a temporary one)."""
    periods = thresholds.periods
    frame = thresholds.leads
    h = periods.horizon_seconds
    current = working_tree_version("current")
    rules = read_rules(current.seed_files)
    rule_ids = [rule.rule_id for rule in rules]
    own = workspace is None
    workspace = workspace or Workspace(database, raw_schema)
    try:
        instants = snapshot_instants(periods.training.start, periods.training.end, snapshot_count)
        snaps = take_snapshots(workspace, current, instants, frame, options.outcome, h)
        leads, points = stack(snaps, rule_ids)
        label = leads["label"].to_numpy()
        fit = fit_weights(points, label, leads["total_score"].to_numpy(), c=regularisation, anchored=anchored,
                          replicates=min(options.replicates, 50), seed=options.seed, level=options.level)
        lift_table = rule_lift(leads, points, rules, fit)
        attributes = attribute_lift(leads, rules)
        seeds = {seed: proposed_seed_text(current.seed_files[seed], lift_table)
                 for seed in (ENGAGEMENT_SEED, FIT_SEED) if seed in current.seed_files}
        summary: dict[str, Any] = {
            "snapshots": [to_datetime(t).isoformat() for t in instants],
            "snapshot_rows": len(leads),
            "snapshot_converted": int(label.sum()),
            "regression": {"scale_points_per_logit": fit.scale, "regularisation_c": regularisation,
                           "anchored_on_current_rubric": anchored,
                           "rules_estimated": int(sum(np.isfinite(list(fit.weights.values()))))},
            "rules_changed": int((lift_table["action"] == "change").sum()),
            "rules_dropped": lift_table.loc[lift_table["action"].str.startswith("drop"), "rule_id"].tolist(),
        }
        backtest = pd.DataFrame()
        if periods.holdout is None:
            summary["backtest"] = "skipped: no holdout period (too little history)"
        else:
            combined_current = float(current.dbt_vars.get("mql_combined_threshold", 100))  # type: ignore[arg-type]
            proposed = _proposed_version(current, seeds, combined_current)
            proposed_db = workspace.build(proposed)
            result, backtest = _backtest(database, proposed_db, thresholds, options, periods.holdout,
                                         proposed.dbt_vars)
            summary["backtest"] = result
            if predictive:
                summary["predictive"] = _predictive(workspace, current, snaps, fit, frame, options,
                                                    periods.holdout, rule_ids, h)
    finally:
        if own:
            workspace.close()
    return RuleCalibration(lift_table, attributes, seeds, summary, backtest)


def _metrics_row(name: str, setting: Setting, m: Metrics, k: int) -> dict[str, object]:
    return {
        "rubric": name, "setting": setting.label(), "mqls": int(m.mqls[k]),
        "mqls_per_month": float(m.mqls_per_month[k]),
        "mql_to_sql": _clean(m.conversion["sql"][k]),
        "mql_to_opportunity": _clean(m.conversion["opportunity"][k]),
        "precision": _clean(m.precision[k]), "recall": _clean(m.recall[k]),
    }


def _backtest(current_db: Path, proposed_db: Path, thresholds: ThresholdCalibration, options: CalibrationOptions,
              holdout: Period, proposed_vars: Mapping[str, object]) -> tuple[dict[str, Any], pd.DataFrame]:
    import duckdb

    periods = thresholds.periods
    frame = thresholds.leads
    h = periods.horizon_seconds
    with duckdb.connect(str(proposed_db), read_only=True) as connection:
        ids = [row[0] for row in connection.execute("select contact_id from marts.dim_leads order by contact_id")
               .fetchall()]
        if ids != [str(c) for c in frame.contact_id]:
            raise RuntimeError("the proposed build has other leads than the warehouse: rebuild the warehouse "
                               "(`mql build`) so both score the same raw data")
        # A one-point grid, so that "the same MQL volume" can be matched closely.
        grid = threshold_grid(connection, "combined", None, EQUAL_VOLUME_STEP)
        settings = settings_grid("combined", grid)
        times = qualification_times(connection, frame, settings, proposed_vars)
        proposed_peak = peak_scores(connection, frame, holdout.start - h, holdout.end)
    with duckdb.connect(str(current_db), read_only=True) as connection:
        current_peak = peak_scores(connection, frame, holdout.start - h, holdout.end)
    train_ind = indicators(times, frame, periods.training, h, options.outcome)
    train = metrics(train_ind)
    choice = choose(settings, train, options.goal, min_mqls=options.min_mqls,
                    allowed=(train.mqls > 0) & ~train_ind.everybody)
    hold_ind = indicators(times, frame, holdout, h, options.outcome)
    hold = metrics(hold_ind)
    current_ind = indicators(thresholds.times, frame, holdout, h, options.outcome)
    current_hold = metrics(current_ind)
    k_current = _index(thresholds.settings, thresholds.current)
    k_recommended = (_index(thresholds.settings, thresholds.recommended) if thresholds.has_recommendation
                     else None)
    volume = (float(current_hold.mqls[k_current]) if k_current is not None
              else float(hold.mqls[choice.index]) if choice.index is not None else 0.0)
    k_equal = nearest_volume(hold, volume)
    eligible, label = holdout_population(frame, holdout, options.outcome)
    y = label[eligible]
    auc_current = _auc(y, current_peak[eligible])
    auc_proposed = _auc(y, proposed_peak[eligible])
    weights = bootstrap_weights(frame.n, options.replicates, options.seed)
    auc_diffs, prec_diffs = [], []
    for w in weights:
        we = w[eligible]
        auc_diffs.append(_auc(y, proposed_peak[eligible], we) - _auc(y, current_peak[eligible], we))
    if k_current is not None:
        rep_prop = metrics(hold_ind, weights).precision[:, k_equal]
        rep_cur = metrics(current_ind, weights).precision[:, k_current]
        prec_diffs = list(rep_prop - rep_cur)
    auc_low, auc_high = interval(auc_diffs, options.level)
    rows = []
    if k_current is not None:
        rows.append(_metrics_row("current", thresholds.current, current_hold, k_current) | {"auc": auc_current})
    if k_recommended is not None:
        rows.append(_metrics_row("current, calibrated threshold", thresholds.recommended, current_hold,
                                 k_recommended) | {"auc": auc_current})
    if choice.index is not None:
        rows.append(_metrics_row("proposed, calibrated threshold", settings[choice.index], hold, choice.index)
                    | {"auc": auc_proposed})
    rows.append(_metrics_row("proposed, current MQL volume", settings[k_equal], hold, k_equal)
                | {"auc": auc_proposed})
    table = pd.DataFrame(rows)
    result: dict[str, Any] = {
        "holdout": holdout.as_dict(),
        "population": int(eligible.sum()), "reached_outcome": int(y.sum()), "outcome": options.outcome,
        "auc": {"current": _clean(auc_current), "proposed": _clean(auc_proposed),
                "difference_interval": [_clean(float(auc_low)), _clean(float(auc_high))]},
        "equal_volume": {
            "mqls": int(volume),
            "current_precision": _clean(float(current_hold.precision[k_current])) if k_current is not None else None,
            "proposed_precision": _clean(float(hold.precision[k_equal])), "proposed_mqls": int(hold.mqls[k_equal]),
            "proposed_setting": settings[k_equal].label(),
            "difference_interval": [_clean(float(v)) for v in interval(prec_diffs, options.level)]
            if prec_diffs else None,
        },
        "proposed_recommended": {"setting": settings[choice.index].label(), "vars": settings[choice.index].dbt_vars(),
                                 "var_change": var_change(thresholds.current, settings[choice.index],
                                                         thresholds.all_vars),
                                 "met_on_training": choice.met, "note": choice.note}
        if choice.index is not None else {"setting": None, "vars": {}, "var_change": {}, "met_on_training": False,
                                          "note": f"no recommendation: {choice.note}"},
        "rows": table.to_dict(orient="records"),
    }
    return result, table


def _index(settings: Sequence[Setting], wanted: Setting) -> int | None:
    for k, setting in enumerate(settings):
        if setting == wanted:
            return k
    return None


def _features(snapshot_leads: pd.DataFrame, points: pd.DataFrame, columns: list[str] | None) -> pd.DataFrame:
    dummies = pd.get_dummies(snapshot_leads[list(ATTRIBUTES)], dtype=float)
    features = pd.concat([points.reset_index(drop=True), dummies.reset_index(drop=True)], axis=1)
    return features if columns is None else features.reindex(columns=columns, fill_value=0.0)


def _predictive(workspace: Workspace, current: RuleVersion, training: Sequence[Snapshot], fit: RegressionFit,
                frame: LeadFrame, options: CalibrationOptions, holdout: Period, rule_ids: list[str],
                horizon_seconds: float) -> dict[str, Any]:
    """Gradient boosting on the snapshot features, scored on a holdout snapshot at the split, against the
    current total score and the regression (what the proposed rubric approximates)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    leads, points = stack(training, rule_ids)
    features = _features(leads, points, None)
    label = leads["label"].to_numpy()
    if len(set(label.tolist())) < 2:
        return {"skipped": "the training snapshots have a single class"}
    model = HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15,
                                           l2_regularization=1.0, random_state=options.seed)
    model.fit(features.to_numpy(), label)
    test = take_snapshots(workspace, current, [holdout.start], frame, options.outcome, horizon_seconds)
    test_leads, test_points = stack(test, rule_ids)
    y = test_leads["label"].to_numpy()
    gb = model.predict_proba(_features(test_leads, test_points, list(features.columns)).to_numpy())[:, 1]
    weights = np.array([fit.weights.get(r, 0.0) if np.isfinite(fit.weights.get(r, np.nan)) else 0.0
                        for r in rule_ids])
    regression = test_points[rule_ids].to_numpy() @ weights
    total = test_leads["total_score"].to_numpy()
    k = int(test_leads["meets_threshold"].fillna(False).astype(bool).sum())

    def precision_at(score: np.ndarray) -> float | None:
        """Conversion of the `k` leads the score ranks highest."""
        if k == 0:
            return None
        top = np.argsort(-score, kind="stable")[:k]
        return float(y[top].mean())

    return {
        "snapshot": to_datetime(holdout.start).isoformat(), "rows": len(y), "reached_outcome": int(y.sum()),
        "auc": {"current_total_score": _clean(_auc(y, total)), "logistic_regression": _clean(_auc(y, regression)),
                "gradient_boosting": _clean(_auc(y, gb))},
        "precision_at_current_volume": {"leads": k, "current_total_score": precision_at(total),
                                        "logistic_regression": precision_at(regression),
                                        "gradient_boosting": precision_at(gb)},
        "note": "comparison only: the rubric (SQL) stays the scoring model",
    }
