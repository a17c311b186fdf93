"""Bootstrap over leads: how uncertain a conversion rate, a recommended threshold or an AUC is when the history
is small. Resampling is done with multinomial weights (how often each lead is drawn), so every statistic that is
a weighted count is one matrix product per replicate set."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

DEFAULT_REPLICATES = 200
DEFAULT_LEVEL = 0.9


def bootstrap_weights(n: int, replicates: int, seed: int = 0) -> npt.NDArray[np.float64]:
    """A (replicates x n) matrix: row b says how many times each of the n leads is drawn in replicate b."""
    if n == 0 or replicates <= 0:
        return np.zeros((max(replicates, 0), n))
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, np.full(n, 1.0 / n), size=replicates).astype(np.float64)


def interval(samples: npt.ArrayLike, level: float = DEFAULT_LEVEL, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of bootstrap samples (NaN samples ignored; NaN when all are NaN)."""
    values = np.asarray(samples, dtype=np.float64)
    tail = (1.0 - level) / 2.0 * 100.0
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low = np.nanpercentile(values, tail, axis=axis)
            high = np.nanpercentile(values, 100.0 - tail, axis=axis)
    return np.asarray(low), np.asarray(high)
