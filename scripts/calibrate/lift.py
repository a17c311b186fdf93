"""Rule lift and suggested points.

For each scoring rule and each lead attribute value, on point-in-time snapshots of the training period: coverage
(share of leads it applies to at the snapshot), conversion with and without it, and lift (conversion with it over
the overall conversion). A logistic regression (scikit-learn) of "reaches the outcome within the horizon" on the
rules' points at the snapshot gives each rule a weight per point; scaled to the rubric, it becomes suggested
points.

Why scaling the points is exact: a rule's points at time t are `clamp(sum p * 2^(-age/h))` over the events in its
window, so multiplying both `points` and `max_points` by k multiplies the rule's contribution by k. A proposed
seed with `points' = k_r * points` and `max_points' = k_r * max_points` therefore scores every lead with
`sum k_r x_r`, the regression's linear predictor up to one scale factor (chosen so the proposed scores spread like
the current ones). A rule whose weight has the wrong sign is dropped from the proposal (the seed validation
forbids zero points) when its bootstrap interval is on the wrong side too, and keeps its points when the
interval reaches zero (no clear evidence); a rule that almost never fires keeps its points.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scripts.calibrate.bootstrap import interval
from scripts.calibrate.snapshots import ATTRIBUTES

ENGAGEMENT_SEED = "seeds/scoring/engagement_rules.csv"
FIT_SEED = "seeds/scoring/fit_rules.csv"
MIN_SUPPORT = 10
"""A rule that applies to fewer snapshot rows than this keeps its current points (too little data)."""
MIN_CONVERTED_SUPPORT = 2
"""... or to fewer converted rows than this."""


@dataclass(frozen=True)
class Rule:
    """A rule of the rubric as the seeds define it (the parts lift needs)."""

    rule_id: str
    seed: str  # ENGAGEMENT_SEED or FIT_SEED
    family: str
    points: float
    max_points: float | None
    description: str
    attribute: str | None = None
    attribute_value: str | None = None


def read_rules(seed_texts: Mapping[str, str]) -> list[Rule]:
    """The engagement and fit rules from the seed files' text."""
    rules: list[Rule] = []
    for seed in (ENGAGEMENT_SEED, FIT_SEED):
        text = seed_texts.get(seed)
        if text is None:
            continue
        for row in csv.DictReader(io.StringIO(text)):
            cap = (row.get("max_points") or "").strip()
            rules.append(Rule(
                rule_id=row["rule_id"].strip(), seed=seed, family=row["score_family"].strip(),
                points=float(row["points"]), max_points=float(cap) if cap else None,
                description=row.get("description", ""), attribute=(row.get("attribute") or None),
                attribute_value=(row.get("attribute_value") or None),
            ))
    return rules


def _lift_stats(applies: np.ndarray, label: np.ndarray) -> dict[str, float]:
    n = len(label)
    overall = float(label.mean()) if n else float("nan")
    with_rule = applies.astype(bool)
    rows_with = int(with_rule.sum())
    conv_with = float(label[with_rule].mean()) if rows_with else float("nan")
    conv_without = float(label[~with_rule].mean()) if rows_with < n else float("nan")
    return {
        "rows": n, "rows_with": rows_with, "coverage": rows_with / n if n else float("nan"),
        "converted_with": int(label[with_rule].sum()), "conversion_with": conv_with,
        "conversion_without": conv_without,
        "lift": conv_with / overall if overall and overall > 0 and rows_with else float("nan"),
    }


def attribute_lift(leads: pd.DataFrame, rules: Sequence[Rule]) -> pd.DataFrame:
    """Coverage, conversion with/without and lift for every value of every lead attribute, with the fit rules
    that score it (values without a rule are where a new rule could help)."""
    label = leads["label"].to_numpy()
    by_value: dict[tuple[str, str], list[Rule]] = {}
    for rule in rules:
        if rule.attribute:
            by_value.setdefault((rule.attribute, str(rule.attribute_value)), []).append(rule)
    rows: list[dict[str, object]] = []
    for attribute in ATTRIBUTES:
        if attribute not in leads:
            continue
        values = leads[attribute].astype(str).to_numpy()
        for value in sorted(set(values)):
            stats = _lift_stats(values == value, label)
            matched = by_value.get((attribute, value), [])
            rows.append({"attribute": attribute, "value": value, **stats,
                         "rule_ids": " ".join(r.rule_id for r in matched),
                         "current_points": sum(r.points for r in matched) if matched else None})
    return pd.DataFrame(rows)


@dataclass
class RegressionFit:
    """Weights per point of each rule (NaN where not estimated) and the scale to rubric points."""

    weights: dict[str, float]
    scale: float
    intercept: float
    intervals: dict[str, tuple[float, float]]


ANCHOR_WEIGHT = 30.0
"""The current total score enters the regression multiplied by this after standardising, so its L2 penalty is
negligible (1/900 of the others): the rules' own coefficients are then deviations from the current rubric, and
the penalty shrinks them towards it rather than towards zero."""


def _fit(points: np.ndarray, label: np.ndarray, c: float, anchored: bool) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    sd = points.std(axis=0)
    sd[sd == 0] = 1.0
    mean = points.mean(axis=0)
    design = (points - mean) / sd
    total = points.sum(axis=1)
    total_sd = float(total.std()) or 1.0
    if anchored:
        design = np.column_stack([design, (total - total.mean()) / total_sd * ANCHOR_WEIGHT])
    model = LogisticRegression(C=c, max_iter=5000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(design, label)
    coef = model.coef_[0]
    weights = coef[: points.shape[1]] / sd
    if anchored:
        weights = weights + coef[-1] * ANCHOR_WEIGHT / total_sd
    intercept = float(model.intercept_[0] - (mean * weights).sum())
    return weights, intercept


def fit_weights(points: pd.DataFrame, label: np.ndarray, current_total: np.ndarray, *, c: float = 1.0,
                anchored: bool = True, replicates: int = 0, seed: int = 0, level: float = 0.9) -> RegressionFit:
    """Logistic regression of the label on the rules' points (standardised, L2 of strength `c`). `anchored`
    (default) adds the current total score with a negligible penalty, so that with little evidence the weights
    stay those of the current rubric (every rule the same weight per point) instead of shrinking to zero. The
    scale makes the weighted score spread like the current total score. With `replicates`, bootstrap intervals
    of the weights (resampling snapshot rows)."""
    usable = [column for column in points.columns if points[column].to_numpy().std() > 0]
    weights = {column: float("nan") for column in points.columns}
    if len(usable) == 0 or len(set(label.tolist())) < 2:
        return RegressionFit(weights, 1.0, 0.0, {})
    matrix = points[usable].to_numpy(dtype=np.float64)
    beta, intercept = _fit(matrix, label, c, anchored)
    linear = matrix @ beta
    spread = linear.std()
    scale = float(current_total.std() / spread) if spread > 0 else 1.0
    weights.update(dict(zip(usable, beta.tolist(), strict=True)))
    intervals: dict[str, tuple[float, float]] = {}
    if replicates > 0:
        rng = np.random.default_rng(seed)
        draws = []
        for _ in range(replicates):
            rows = rng.integers(0, len(label), len(label))
            if len(set(label[rows].tolist())) < 2:
                continue
            draws.append(_fit(matrix[rows], label[rows], c, anchored)[0])
        if draws:
            low, high = interval(np.array(draws), level)
            intervals = {column: (float(low[j]), float(high[j])) for j, column in enumerate(usable)}
    return RegressionFit(weights, scale, intercept, intervals)


def _round_points(value: float) -> float:
    rounded = float(np.round(value))
    if rounded == 0:
        rounded = 1.0 if value > 0 else -1.0
    return rounded


def rule_lift(leads: pd.DataFrame, points: pd.DataFrame, rules: Sequence[Rule], fit: RegressionFit) -> pd.DataFrame:
    """One row per rule: lift statistics, the regression weight and the suggested points and cap."""
    label = leads["label"].to_numpy()
    rows: list[dict[str, object]] = []
    for rule in rules:
        column = points[rule.rule_id].to_numpy() if rule.rule_id in points else np.zeros(len(label))
        stats = _lift_stats(column != 0, label)
        weight = fit.weights.get(rule.rule_id, float("nan"))
        multiplier = fit.scale * weight if np.isfinite(weight) else float("nan")
        suggested: float | None = rule.points
        suggested_cap: float | None = rule.max_points
        low_high = fit.intervals.get(rule.rule_id)
        if stats["rows_with"] < MIN_SUPPORT or stats["converted_with"] < MIN_CONVERTED_SUPPORT or not np.isfinite(weight):
            action = "keep (too little data)"
        elif multiplier <= 0 and low_high is not None and low_high[1] > 0:
            # The estimate points the wrong way but its interval reaches the rule's direction: no clear evidence
            # either way, so the rule keeps its points (the rubric is the prior).
            action = "keep (no clear effect)"
        elif multiplier <= 0:  # weights are per point and points carry the rule's sign: > 0 keeps the direction
            action, suggested, suggested_cap = "drop (points the other way)", None, None
        else:
            suggested = _round_points(multiplier * rule.points)
            if rule.max_points is not None:
                cap = _round_points(multiplier * rule.max_points)
                suggested_cap = cap if abs(cap) >= abs(suggested) else suggested
            action = "keep" if suggested == rule.points and suggested_cap == rule.max_points else "change"
        rows.append({
            "rule_id": rule.rule_id, "seed": Path(rule.seed).name, "family": rule.family,
            "description": rule.description, **stats,
            "current_points": rule.points, "current_max_points": rule.max_points,
            "weight_per_point": weight,
            "weight_low": low_high[0] if low_high else None, "weight_high": low_high[1] if low_high else None,
            "suggested_points": suggested, "suggested_max_points": suggested_cap,
            "suggested_points_low": min(_scaled(v, fit.scale, rule.points) for v in low_high) if low_high else None,
            "suggested_points_high": max(_scaled(v, fit.scale, rule.points) for v in low_high) if low_high else None,
            "action": action,
        })
    return pd.DataFrame(rows)


def _scaled(weight: float, scale: float, points: float) -> float:
    return float(np.round(weight * scale * points, 1))


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def proposed_seed_text(seed_text: str, lift: pd.DataFrame) -> str:
    """The seed file with the suggested points and caps (dropped rules removed); other columns unchanged."""
    suggestions = {row.rule_id: row for row in lift.itertuples(index=False)}
    reader = csv.DictReader(io.StringIO(seed_text))
    fieldnames = list(reader.fieldnames or [])
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fieldnames, lineterminator="\n")
    writer.writeheader()
    for row in reader:
        suggestion = suggestions.get(row["rule_id"].strip())
        if suggestion is not None:
            if str(suggestion.action).startswith("drop"):
                continue
            row["points"] = _number(suggestion.suggested_points)
            if "max_points" in row and (row.get("max_points") or "").strip():
                row["max_points"] = _number(suggestion.suggested_max_points)
        writer.writerow(row)
    return out.getvalue()
