"""Model-card measures on the holdout rows: AUC with a bootstrap interval over leads, precision and recall at a
threshold and at fixed volumes, and for a probability the Brier score, a reliability curve and the expected
calibration error (the row-weighted mean gap between predicted and observed rates over probability bins)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from scripts.calibrate.bootstrap import bootstrap_weights, interval

FloatArray = npt.NDArray[np.float64]
VOLUMES: tuple[float, ...] = (0.05, 0.10, 0.20)
"""Shares of rows (the top-scored) at which precision and recall are reported."""
RELIABILITY_BINS = 10


def auc(score: FloatArray, label: npt.NDArray[np.int_], weight: FloatArray | None = None) -> float:
    """Area under the ROC curve (NaN with one class only)."""
    from sklearn.metrics import roc_auc_score

    mask = np.ones(len(label), dtype=bool) if weight is None else weight > 0
    if len(np.unique(label[mask])) < 2:
        return float("nan")
    return float(roc_auc_score(label[mask], score[mask], sample_weight=None if weight is None else weight[mask]))


def auc_interval(score: FloatArray, label: npt.NDArray[np.int_], groups: npt.NDArray[np.int_],
                 replicates: int = 200, seed: int = 0) -> tuple[float, float]:
    """90% bootstrap interval of the AUC, resampling leads (`groups`: lead index of each row)."""
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    weights = bootstrap_weights(n_groups, replicates, seed)
    samples = [auc(score, label, w[groups]) for w in weights]
    low, high = interval(np.array(samples))
    return float(low), float(high)


def precision_recall(selected: npt.NDArray[np.bool_], label: npt.NDArray[np.int_]) -> dict[str, float]:
    """Share selected, precision and recall of a selection."""
    chosen = int(selected.sum())
    hits = int((selected & (label == 1)).sum())
    positives = int(label.sum())
    return {"share": chosen / max(len(label), 1), "precision": hits / chosen if chosen else float("nan"),
            "recall": hits / positives if positives else float("nan")}


def at_volumes(score: FloatArray, label: npt.NDArray[np.int_],
               volumes: Sequence[float] = VOLUMES) -> dict[str, dict[str, float]]:
    """Precision and recall of the top `volume` share of rows by score (ties broken by row order)."""
    order = np.argsort(-score, kind="stable")
    result: dict[str, dict[str, float]] = {}
    for volume in volumes:
        selected = np.zeros(len(score), dtype=bool)
        selected[order[: max(round(volume * len(score)), 1)]] = True
        result[f"top {volume:.0%}"] = precision_recall(selected, label)
    return result


def reliability(probability: FloatArray, label: npt.NDArray[np.int_],
                bins: int = RELIABILITY_BINS) -> tuple[list[dict[str, float]], float, float]:
    """Reliability curve over equal-count probability bins, expected calibration error and Brier score."""
    order = np.argsort(probability, kind="stable")
    curve: list[dict[str, float]] = []
    error = 0.0
    for chunk in np.array_split(order, min(bins, max(len(order), 1))):
        if not len(chunk):
            continue
        predicted, observed = float(probability[chunk].mean()), float(label[chunk].mean())
        curve.append({"predicted": predicted, "observed": observed, "rows": len(chunk)})
        error += len(chunk) * abs(predicted - observed)
    brier = float(np.mean((probability - label) ** 2)) if len(label) else float("nan")
    return curve, error / max(len(label), 1), brier
