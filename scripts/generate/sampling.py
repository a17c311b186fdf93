"""Small vectorised sampling helpers shared by the generator modules."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

Z_BINS = np.linspace(-4.0, 4.0, 81)
"""Bin edges used to make z-dependent categorical draws vectorised (81 bins of width 0.1 plus open ends)."""


def sigmoid(x: FloatArray | float) -> FloatArray:
    """Logistic function."""
    return np.asarray(1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64))))


def categorical(rng: np.random.Generator, weights: Sequence[float], size: int) -> IntArray:
    """``size`` draws of indices with probabilities proportional to ``weights``."""
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64))
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(cdf) - 1).astype(np.int64)


def z_categorical(
    rng: np.random.Generator, z: FloatArray, weights: Sequence[float], betas: Sequence[float]
) -> IntArray:
    """One draw per element of ``z`` with P(k) proportional to ``weights[k] * exp(betas[k] * z)``.

    z is binned (width 0.1) so the per-row work is one ``searchsorted`` on a flattened table of CDFs.
    """
    w = np.asarray(weights, dtype=np.float64)
    b = np.asarray(betas, dtype=np.float64)
    centers = np.concatenate([[Z_BINS[0] - 0.05], (Z_BINS[:-1] + Z_BINS[1:]) / 2, [Z_BINS[-1] + 0.05]])
    table = w[None, :] * np.exp(centers[:, None] * b[None, :])
    cdf = np.cumsum(table, axis=1)
    cdf /= cdf[:, -1:]
    cdf[:, -1] = 1.0 + 1e-9
    k = len(w)
    flat = (cdf + np.arange(len(centers))[:, None] * 2.0).ravel()
    bins = np.searchsorted(Z_BINS, z)
    pos = np.searchsorted(flat, bins * 2.0 + rng.random(len(z)), side="right")
    return np.minimum(pos - bins * k, k - 1).astype(np.int64)


def repeat_index(counts: IntArray) -> IntArray:
    """``[0]*counts[0] + [1]*counts[1] + ...``."""
    return np.repeat(np.arange(len(counts), dtype=np.int64), counts)


def group_rank(groups: IntArray) -> IntArray:
    """Rank of each row within its run of equal values of the (sorted) ``groups`` array: 0, 1, 2, ..."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate([[True], groups[1:] != groups[:-1]]))
    run_start = np.repeat(starts, np.diff(np.concatenate([starts, [n]])))
    return np.arange(n, dtype=np.int64) - run_start


def lognormal(rng: np.random.Generator, median: float, sigma: float, size: int) -> FloatArray:
    """Lognormal draws with the given median."""
    return np.asarray(median * np.exp(sigma * rng.standard_normal(size)))


def choose_from(rng: np.random.Generator, offsets: IntArray, sizes: IntArray, which: IntArray) -> IntArray:
    """For each row, a uniform index in ``[offsets[which], offsets[which] + sizes[which])``."""
    return offsets[which] + np.floor(rng.random(len(which)) * sizes[which]).astype(np.int64)


def spelling_table(groups: Sequence[Sequence[str]]) -> tuple[list[str], IntArray, IntArray]:
    """Flatten spelling groups into one vocabulary with per-group offsets and sizes."""
    vocab: list[str] = []
    offsets: list[int] = []
    sizes: list[int] = []
    for group in groups:
        offsets.append(len(vocab))
        sizes.append(len(group))
        vocab.extend(group)
    return vocab, np.asarray(offsets, dtype=np.int64), np.asarray(sizes, dtype=np.int64)
