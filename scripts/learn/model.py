"""The additive model behind a learned rubric: InterpretML's Explainable Boosting Machine (EBM) with one shape
function per feature and no interactions, so every term is a points table over one attribute or signal.

Why EBM and not an optbinning scorecard: on the UCI bank data (70/30 stratified, seed 0, without `duration`) an
optbinning `BinningProcess` + logistic regression scorecard reached AUC 0.787-0.788 whatever its pre-binning,
the EBM 0.797 (gradient boosting 0.797, logistic regression 0.788): boosting the shape functions finds the
non-monotone steps (age, the economic indicators) that optimal binning merges away. The EBM is regularised by
bagging, early stopping on an inner validation split and a minimum leaf size; rare categorical levels are pooled
before fitting (they become one "other" value), and engagement counts are monotone in the direction the current
rules give them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from scripts.learn.features import Feature, is_missing

OTHER = "(other)"
"""The pooled value of rare categorical levels (and of levels the training part never saw)."""

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ModelOptions:
    """How the additive model is fitted."""

    min_level_share: float = 0.005
    """Categorical levels seen in less than this share of training rows (or `min_level_rows`) are pooled."""
    min_level_rows: int = 30
    min_level_positives: float = 5.0
    """...or in fewer rows than would hold this many positives at the training base rate: a level's own points
    need enough outcomes to be estimated (with a rare outcome, a level of 50 leads holds one conversion)."""
    max_bins: int = 64
    outer_bags: int = 4
    min_samples_leaf: int = 10
    seed: int = 0


DEFAULT_OPTIONS = ModelOptions()


@dataclass
class Shape:
    """The fitted shape function of one feature, in log-odds.

    Categorical: `levels` (value -> score) plus `missing` (no value) and `other` (pooled or unseen levels).
    Numeric or count: `cuts` (ascending; bin k is [cuts[k-1], cuts[k]) with open ends) with `scores` per bin
    and `missing` for no value.
    """

    feature: Feature
    levels: dict[str, float]
    cuts: list[float]
    scores: list[float]
    missing: float
    other: float
    pooled: list[str]
    """The training levels pooled into `other`."""


@dataclass
class AdditiveModel:
    """An intercept and one shape per feature."""

    intercept: float
    shapes: list[Shape]
    library: str


def pooled_levels(values: npt.NDArray[np.object_], options: ModelOptions, base_rate: float) -> set[str]:
    """The levels of a categorical column frequent enough to keep their own term."""
    series = pd.Series(values).dropna()
    counts = series.value_counts()
    minimum = max(options.min_level_rows, options.min_level_share * len(values),
                  options.min_level_positives / max(base_rate, 1e-9))
    return {str(level) for level, count in counts.items() if count >= minimum and "|" not in str(level)}


def informative(table: pd.DataFrame, features: Sequence[Feature]) -> list[Feature]:
    """The features with at least two distinct values (missing counting as one) in these rows."""
    return [f for f in features if table[f.name].astype(object).fillna("(missing)").nunique() >= 2]


def _design(table: pd.DataFrame, features: Sequence[Feature], kept: dict[str, set[str]]) -> pd.DataFrame:
    columns: dict[str, object] = {}
    for feature in features:
        values = table[feature.name].to_numpy()
        if feature.kind == "category":
            keep = kept[feature.name]
            columns[feature.name] = np.array(
                [None if is_missing(v) else (v if v in keep else OTHER) for v in values], dtype=object)
        else:
            columns[feature.name] = values.astype(np.float64)
    return pd.DataFrame(columns)


def fit_additive(table: pd.DataFrame, label: npt.NDArray[np.int_], features: Sequence[Feature],
                 options: ModelOptions = DEFAULT_OPTIONS) -> AdditiveModel:
    """Fit the EBM on the training rows and read its shape functions."""
    from interpret.glassbox import ExplainableBoostingClassifier

    rate = float(np.mean(label)) if len(label) else 0.0
    kept = {f.name: pooled_levels(table[f.name].to_numpy(), options, rate)
            for f in features if f.kind == "category"}
    design = _design(table, features, kept)
    monotone = [f.signal.direction if f.signal is not None else 0 for f in features]
    model = ExplainableBoostingClassifier(
        feature_names=[f.name for f in features],
        feature_types=["nominal" if f.kind == "category" else "continuous" for f in features],
        interactions=0, max_bins=options.max_bins, outer_bags=options.outer_bags,
        min_samples_leaf=options.min_samples_leaf, monotone_constraints=monotone,
        random_state=options.seed, n_jobs=1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(design, np.asarray(label))
    shapes: list[Shape] = []
    for index, feature in enumerate(features):
        scores = np.asarray(model.term_scores_[index], dtype=np.float64)
        bins = model.bins_[index][0]
        missing = float(scores[0])
        pooled = sorted({str(v) for v in table[feature.name].dropna()} - kept.get(feature.name, set()))
        if isinstance(bins, dict):
            levels = {str(level): float(scores[position]) for level, position in bins.items()}
            other = levels.pop(OTHER, float(scores[-1]))
            shapes.append(Shape(feature, levels, [], [], missing, other, pooled))
        else:
            cuts = [float(c) for c in np.asarray(bins, dtype=np.float64)]
            shapes.append(Shape(feature, {}, cuts, [float(s) for s in scores[1:len(cuts) + 2]], missing, 0.0, []))
    import interpret

    return AdditiveModel(float(np.ravel(model.intercept_)[0]), shapes, f"interpret {interpret.__version__} EBM")
