"""From shape functions to a rubric: fit rules (value lists and numeric bins) and engagement rules (points per
event with a cap) in whole points, written as the project's own seed files, and the points-to-probability map.

Points are log-odds in units of `POINTS_PER_DOUBLING` (20 points double the odds), relative to what a lead with no
matching rule gets: for a categorical attribute the pooled/missing levels (or, without any, the commonest level),
for a number the missing value (or the commonest bin), for a signal no event. A count signal's shape becomes two
rules: the first event's points (`points` = `max_points`), and points per event up to a cap, fitted by least
squares to the shape over the training distribution (the engine's rules give `a*[n>=1] + min(cap, s*n)`).

`rubric_points` applies the written rules to the learning table exactly as the seeds define them; it is what the
probability is calibrated on (the rounded rubric, not the model) and an independent check of what the dbt build
scores (the model card reports the largest difference).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from scripts.learn.features import ENGAGEMENT_COLUMNS, FIT_COLUMNS, Feature, is_missing, rows_to_csv
from scripts.learn.model import OTHER, AdditiveModel, Shape

POINTS_PER_DOUBLING = 20.0
LOGIT_PER_POINT = math.log(2.0) / POINTS_PER_DOUBLING
FloatArray = npt.NDArray[np.float64]
REFERENCE_SHARE = 0.05
"""Pooled and missing values are the zero-point reference of an attribute when at least this share of rows has one."""


@dataclass
class FitBin:
    """Points for one value list or numeric bin [min_value, max_value) of a fit attribute."""

    points: float
    values: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None

    def describe(self, attribute: str) -> str:
        if self.values:
            shown = ", ".join(self.values[:6]) + (f" and {len(self.values) - 6} more" if len(self.values) > 6 else "")
            return f"{attribute} in {{{shown}}}"
        low = "-inf" if self.min_value is None else f"{self.min_value:g}"
        high = "inf" if self.max_value is None else f"{self.max_value:g}"
        return f"{attribute} in [{low}, {high})"


@dataclass
class Term:
    """One learned term: fit bins for an attribute, or (first event, per event up to a cap) for a signal."""

    feature: Feature
    bins: list[FitBin] = field(default_factory=list)
    first_points: float = 0.0
    per_event: float = 0.0
    cap: float | None = None
    importance: float = 0.0
    """Mean absolute points of the term over the training rows."""

    def describe(self) -> str:
        if self.feature.signal is None:
            return "; ".join(f"{b.describe(self.feature.attribute or '')}: {b.points:+g}" for b in self.bins)
        parts = []
        if self.first_points:
            parts.append(f"first event {self.first_points:+g}")
        if self.per_event:
            unit = "unit" if self.feature.signal.is_quantity else "event"
            parts.append(f"{self.per_event:+g} per {unit} up to {self.cap:+g}" if self.cap is not None
                         else f"{self.per_event:+g} per {unit}")
        return f"{self.feature.signal.label()}: " + ", ".join(parts)


@dataclass
class Rubric:
    """The learned rubric: terms, the probability map and the recommended settings."""

    terms: list[Term]
    intercept: float
    slope: float
    threshold: float
    fit_grade_bands: dict[str, float]
    engagement_bands: dict[str, float]


def _points(score: float, reference: float) -> float:
    return float(round((score - reference) / LOGIT_PER_POINT))


def _category_term(shape: Shape, values: npt.NDArray[np.object_]) -> Term:
    series = pd.Series(values)
    missing_rows = int(series.isna().sum())
    known = set(shape.levels)
    other_rows = int((~series.isna() & ~series.isin(known)).sum())
    unmatched = missing_rows + other_rows
    levels = dict(shape.levels)
    if unmatched and unmatched >= REFERENCE_SHARE * len(series):
        reference = (shape.missing * missing_rows + shape.other * other_rows) / unmatched
    else:  # few unmatched rows: the commonest level is the reference, the pooled levels get a rule of their own
        reference = levels[str(series.mode().iloc[0])] if len(series) and levels else 0.0
        for level in (p for p in shape.pooled if "|" not in p):
            levels[level] = shape.other
    groups: dict[float, list[str]] = {}
    for level, score in levels.items():
        if level == OTHER:
            continue
        points = _points(score, reference)
        if points:
            groups.setdefault(points, []).append(level)
    bins = [FitBin(points, tuple(sorted(levels))) for points, levels in sorted(groups.items(), reverse=True)]
    return Term(shape.feature, bins)


def _bin_index(cuts: Sequence[float], values: FloatArray) -> npt.NDArray[np.int_]:
    """Bin of each value: k with cuts[k-1] <= v < cuts[k] (NaN gets -1)."""
    index = np.searchsorted(np.asarray(cuts, dtype=np.float64), values, side="right")
    return np.where(np.isnan(values), -1, index)


def _number_term(shape: Shape, values: FloatArray) -> Term:
    index = _bin_index(shape.cuts, values)
    if (index < 0).any():
        reference = shape.missing
    else:
        counts = np.bincount(index, minlength=len(shape.scores))
        reference = shape.scores[int(np.argmax(counts))]
    points = [_points(score, reference) for score in shape.scores]
    bins: list[FitBin] = []
    edges = [None, *shape.cuts, None]
    start = 0
    for k in range(1, len(points) + 1):
        if k == len(points) or points[k] != points[start]:
            if points[start] and not (edges[start] is None and edges[k] is None):
                bins.append(FitBin(points[start], min_value=edges[start], max_value=edges[k]))
            start = k
    return Term(shape.feature, bins)


def _shape_at(shape: Shape, values: FloatArray) -> FloatArray:
    scores = np.asarray(shape.scores, dtype=np.float64)
    return scores[_bin_index(shape.cuts, values)]


def _count_term(shape: Shape, values: FloatArray) -> Term:
    """Least-squares fit of `a*[n>=1] + s*min(n, e)` (a = 0 for a quantity) to the shape, over saturation e."""
    signal = shape.feature.signal
    assert signal is not None
    values = np.nan_to_num(values, nan=0.0)
    levels, weights = np.unique(values, return_counts=True)
    target = _shape_at(shape, levels) - float(_shape_at(shape, np.array([0.0]))[0])
    positive = levels > 0
    term = Term(shape.feature)
    if not positive.any():
        return term
    n, y, w = levels[positive], target[positive], weights[positive].astype(np.float64)
    best: tuple[float, float, float, float] | None = None  # (error, a, s, e)
    candidates = np.unique(np.concatenate([n[n >= 1], [n.max()]]))[:60]
    for e in candidates:
        x = np.minimum(n, e)
        design = np.column_stack([np.ones_like(x), x]) if not signal.is_quantity else x[:, None]
        sqrt_w = np.sqrt(w)[:, None]
        solution, *_ = np.linalg.lstsq(design * sqrt_w, y * sqrt_w[:, 0], rcond=None)
        a, s = (float(solution[0]), float(solution[1])) if not signal.is_quantity else (0.0, float(solution[0]))
        error = float(np.sum(w * (y - design @ solution) ** 2))
        if best is None or error < best[0] - 1e-12:
            best = (error, a, s, float(e))
    assert best is not None
    _, a, s, e = best
    first = float(round(a / LOGIT_PER_POINT))
    per_event = round(s / LOGIT_PER_POINT, 2)
    if signal.window_days is not None:  # windowed penalties are refused by the engine (they would fade)
        first, per_event = max(first, 0.0), max(per_event, 0.0)
    term.first_points = first
    if per_event and e > 1:
        term.per_event = per_event
        term.cap = round(per_event * e, 2)
    elif per_event and not signal.is_quantity:
        term.first_points = first + float(round(per_event))  # saturates at the first event
    return term


def terms_from_model(model: AdditiveModel, table: pd.DataFrame) -> list[Term]:
    """A term per feature that earns any points, most important first."""
    terms: list[Term] = []
    for shape in model.shapes:
        values = table[shape.feature.name].to_numpy()
        if shape.feature.kind == "category":
            term = _category_term(shape, values)
        elif shape.feature.kind == "number":
            term = _number_term(shape, values.astype(np.float64))
        else:
            term = _count_term(shape, values.astype(np.float64))
        term.importance = float(np.mean(np.abs(term_points(term, table))))
        if term.importance > 0 or term.bins or term.first_points or term.per_event:
            terms.append(term)
    return sorted(terms, key=lambda t: -t.importance)


def term_points(term: Term, table: pd.DataFrame) -> FloatArray:
    """The points the term's rules give each row (the seeds' semantics: case-insensitive value lists, bins
    [min, max), capped points per event)."""
    values = table[term.feature.name].to_numpy()
    if term.feature.signal is not None:
        n = np.nan_to_num(values.astype(np.float64), nan=0.0)
        points = np.where(n >= 1, term.first_points, 0.0) if not term.feature.signal.is_quantity else np.zeros(len(n))
        if term.per_event:
            raw = term.per_event * n
            capped = raw if term.cap is None else (np.minimum(raw, term.cap) if term.per_event > 0
                                                   else np.maximum(raw, term.cap))
            points = points + capped
        return points
    points = np.zeros(len(values))
    if term.feature.kind == "category":
        lookup = {value: b.points for b in term.bins for value in b.values}
        return np.array([0.0 if is_missing(v) else lookup.get(v, 0.0) for v in values], dtype=np.float64)
    numbers = values.astype(np.float64)
    for b in term.bins:
        low = -np.inf if b.min_value is None else b.min_value
        high = np.inf if b.max_value is None else b.max_value
        points = np.where((numbers >= low) & (numbers < high), b.points, points)
    return points


def rubric_points(terms: Sequence[Term], table: pd.DataFrame) -> tuple[FloatArray, FloatArray]:
    """(fit points, engagement points) of every row under the rubric's rules."""
    fit = np.zeros(len(table))
    engagement = np.zeros(len(table))
    for term in terms:
        if term.feature.signal is None:
            fit = fit + term_points(term, table)
        else:
            engagement = engagement + term_points(term, table)
    return fit, engagement


def calibrate(total: FloatArray, label: npt.NDArray[np.int_]) -> tuple[float, float]:
    """Intercept and slope (log-odds per point) of a logistic fit of the outcome on total points."""
    from sklearn.linear_model import LogisticRegression

    if np.ptp(total) == 0:
        rate = float(np.clip(np.mean(label), 1e-6, 1 - 1e-6))
        return math.log(rate / (1 - rate)), LOGIT_PER_POINT
    model = LogisticRegression(C=1e6, max_iter=1000).fit(total.reshape(-1, 1), label)
    return float(model.intercept_[0]), float(model.coef_[0, 0])


def best_f1_threshold(total: FloatArray, label: npt.NDArray[np.int_],
                      shares: tuple[float, float] = (0.02, 0.30)) -> float:
    """The whole-points threshold (>=) with the best F1 on these rows among those selecting a share of rows in
    `shares` (a rare outcome's unconstrained best F1 often selects a handful of training leads and nobody later)."""
    order = np.argsort(-total, kind="stable")
    sorted_total, sorted_label = total[order], label[order]
    hits = np.cumsum(sorted_label)
    positives = max(int(label.sum()), 1)
    last_of_value = np.r_[sorted_total[1:] != sorted_total[:-1], True]
    k = np.arange(1, len(total) + 1)
    share = k / max(len(total), 1)
    eligible = last_of_value & (share >= shares[0]) & (share <= shares[1])
    if not eligible.any():
        eligible = last_of_value
    f1 = np.where(eligible, 2 * hits / (k + positives), -1.0)
    return float(math.floor(sorted_total[int(np.argmax(f1))]))


def bands(values: FloatArray, quantiles: Sequence[float], names: Sequence[str]) -> dict[str, float]:
    """Band lower bounds at the given quantiles (strictly decreasing, whole points)."""
    result: dict[str, float] = {}
    previous = math.inf
    for name, q in zip(names, quantiles, strict=True):
        bound = float(math.ceil(np.quantile(values, q))) if len(values) else 0.0
        bound = min(bound, previous - 1)
        result[name] = bound
        previous = bound
    return result


def fit_rule_rows(terms: Sequence[Term]) -> list[dict[str, str]]:
    """fit_rules.csv rows of the learned fit terms."""
    rows: list[dict[str, str]] = []
    for term in terms:
        if term.feature.signal is not None:
            continue
        for b in term.bins:
            rows.append({
                "rule_id": f"L{len(rows) + 1:03d}", "score_family": "fit" if b.points > 0 else "negative",
                "attribute": term.feature.attribute or "", "attribute_value": "|".join(b.values),
                "min_value": "" if b.min_value is None else f"{b.min_value:.10g}",
                "max_value": "" if b.max_value is None else f"{b.max_value:.10g}",
                "points": f"{b.points:g}", "description": f"learned: {b.describe(term.feature.attribute or '')}",
            })
    return rows


def engagement_rule_rows(terms: Sequence[Term]) -> list[dict[str, str]]:
    """engagement_rules.csv rows of the learned signal terms."""
    rows: list[dict[str, str]] = []
    for term in terms:
        signal = term.feature.signal
        if signal is None:
            continue
        if term.first_points and not signal.is_quantity:
            rows.append(signal.rule_row(f"LE{len(rows) + 1:03d}", term.first_points, term.first_points,
                                        per_event=True, description=f"learned: first {signal.label()}"))
        if term.per_event:
            unit = "unit" if signal.is_quantity else "event"
            rows.append(signal.rule_row(f"LE{len(rows) + 1:03d}", term.per_event, term.cap,
                                        description=f"learned: per {unit} of {signal.label()}"))
    return rows


def custom_attribute_rows(terms: Sequence[Term], declared_text_rows: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """custom_attributes.csv: the declared rows, plus a declaration of each custom attribute a term uses."""
    rows = [dict(row) for row in declared_text_rows]
    known = {row.get("attribute") for row in rows}
    for term in terms:
        feature = term.feature
        if feature.is_custom and feature.attribute not in known and (term.bins or term.importance):
            rows.append({"attribute": feature.attribute or "", "entity": feature.entity or "contact",
                         "data_type": "number" if feature.kind == "number" else "text",
                         "description": "declared by mql learn (a term of the learned rubric tests it)"})
            known.add(feature.attribute)
    return rows


def seed_texts(rubric: Rubric, declared_rows: Sequence[dict[str, str]]) -> dict[str, str]:
    """The learned rubric's seed files (relative path -> text), excluding the probability seed."""
    return {
        "seeds/scoring/fit_rules.csv": rows_to_csv(fit_rule_rows(rubric.terms), FIT_COLUMNS),
        "seeds/scoring/engagement_rules.csv": rows_to_csv(engagement_rule_rows(rubric.terms), ENGAGEMENT_COLUMNS),
        "seeds/scoring/custom_attributes.csv": rows_to_csv(
            custom_attribute_rows(rubric.terms, declared_rows), ("attribute", "entity", "data_type", "description")),
    }
