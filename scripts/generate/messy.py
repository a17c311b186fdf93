"""Injection of messy rows with exact bookkeeping.

Every injected row gets exactly one defect and is chosen among rows that are still clean, so the manifest's
``expected_quarantine`` / ``expected_duplicates`` equal what staging must remove. Exact duplicates are
verbatim copies of clean rows (never of a defective or cosmetic row), inserted at random positions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import fmt
from . import vocab as V
from .config import (
    DUPLICATE_REASON,
    MESSY_KINDS,
    QUARANTINE_REASON,
    SUPERSEDED_VERSION,
    TABLE_DUPLICATE_REASONS,
    TABLE_QUARANTINE_REASONS,
    TABLES,
    exact_count,
)
from .sampling import BoolArray, IntArray

Columns = dict[str, pa.Array]
Maker = Callable[[np.random.Generator, IntArray], pa.Array]


class Ledger:
    """Counts of injected rows: per kind, per table and per staging reason code."""

    def __init__(self) -> None:
        self.messy: dict[str, int] = {k: 0 for k in MESSY_KINDS}
        self.by_table: dict[str, dict[str, int]] = {t: {} for t in TABLES}
        self.quarantine: dict[str, dict[str, int]] = {
            t: {r: 0 for r in TABLE_QUARANTINE_REASONS.get(t, ())} for t in TABLES
        }
        self.duplicates: dict[str, dict[str, int]] = {
            t: {r: 0 for r in TABLE_DUPLICATE_REASONS[t]} for t in TABLES
        }

    def add(self, kind: str, table: str, n: int) -> None:
        """Record ``n`` rows of ``kind`` injected into ``table``."""
        self.messy[kind] += n
        self.by_table[table][kind] = self.by_table[table].get(kind, 0) + n
        if kind in QUARANTINE_REASON:
            reason = QUARANTINE_REASON[kind]
            self.quarantine[table][reason] = self.quarantine[table].get(reason, 0) + n
        elif kind in DUPLICATE_REASON:
            reason = DUPLICATE_REASON[kind]
            self.duplicates[table][reason] = self.duplicates[table].get(reason, 0) + n

    def add_superseded(self, table: str, n: int) -> None:
        """Record older versions of records (normal history, removed by keeping the latest version)."""
        self.duplicates[table][SUPERSEDED_VERSION] = self.duplicates[table].get(SUPERSEDED_VERSION, 0) + n


class Diffuser:
    """Exact counts across chunks: after each chunk the cumulative count equals ``round(rate * rows so
    far)``."""

    def __init__(self, rates: dict[str, float]) -> None:
        self.rates = rates
        self.base = 0
        self.done = {k: 0 for k in rates}

    def counts(self, n: int) -> list[tuple[str, int]]:
        """How many rows of each kind to inject into a chunk of ``n`` base rows (in the order of
        ``rates``)."""
        self.base += n
        out: list[tuple[str, int]] = []
        room = n
        for kind, rate in self.rates.items():
            k = max(0, min(exact_count(rate, self.base) - self.done[kind], room))
            self.done[kind] += k
            room -= k
            out.append((kind, k))
        return out


def pick_disjoint(
    rng: np.random.Generator, candidates: IntArray, counts: Sequence[tuple[str, int]]
) -> dict[str, IntArray]:
    """Disjoint random subsets of ``candidates`` (sorted), one per kind."""
    total = min(sum(k for _, k in counts), len(candidates))
    chosen = rng.choice(candidates, size=total, replace=False) if total else np.zeros(0, dtype=np.int64)
    out: dict[str, IntArray] = {}
    start = 0
    for kind, k in counts:
        k = min(k, total - start)
        out[kind] = np.sort(chosen[start : start + k]).astype(np.int64)
        start += k
    return out


def insert_copies(rng: np.random.Generator, n: int, sources: IntArray) -> IntArray:
    """Row order of a table with verbatim copies of ``sources`` inserted at random positions."""
    keys = np.concatenate([np.arange(n, dtype=np.int64) * 2, rng.integers(0, n + 1, len(sources)) * 2 - 1])
    rows = np.concatenate([np.arange(n, dtype=np.int64), sources])
    return rows[np.argsort(keys, kind="stable")]


def apply_copies(cols: Columns, order: IntArray) -> Columns:
    """Reorder / repeat all columns by ``order``."""
    idx = pa.array(order)
    return {k: v.take(idx) for k, v in cols.items()}


@dataclass(frozen=True)
class Defect:
    """A defect kind replacing one column of the chosen rows with values from ``maker``."""

    kind: str
    column: str
    maker: Maker


def apply_defects(
    table: str,
    cols: Columns,
    rng: np.random.Generator,
    picks: dict[str, IntArray],
    defects: Sequence[Defect],
    ledger: Ledger,
    where: IntArray | None = None,
) -> Columns:
    """Replace the picked rows' values. Makers receive the picked row numbers; ``where`` maps a row number to
    its position in ``cols`` when the columns were already reordered (identity when None)."""
    out = dict(cols)
    by_column: dict[str, list[tuple[IntArray, pa.Array]]] = {}
    for d in defects:
        pos = picks.get(d.kind, np.zeros(0, dtype=np.int64))
        if len(pos):
            by_column.setdefault(d.column, []).append(
                (pos if where is None else where[pos], d.maker(rng, pos))
            )
        ledger.add(d.kind, table, len(pos))
    for column, parts in by_column.items():  # one replacement pass per column
        positions = np.concatenate([p for p, _ in parts])
        values = pa.concat_arrays([v.cast(pa.string()) for _, v in parts])
        out[column] = fmt.replace_at(out[column], positions, values)
    return out


def plan(
    rng: np.random.Generator, n: int, counts: Sequence[tuple[str, int]], protected: BoolArray | None = None
) -> tuple[dict[str, IntArray], IntArray]:
    """Pick the rows of each kind among unprotected rows, and the final row order with exact copies
    inserted."""
    candidates = np.flatnonzero(~protected) if protected is not None else np.arange(n, dtype=np.int64)
    picks = pick_disjoint(rng, candidates, counts)
    sources = picks.get("exact_duplicate", np.zeros(0, dtype=np.int64))
    return picks, insert_copies(rng, n, rng.permutation(sources))


def inject(
    table: str,
    cols: Columns,
    rng: np.random.Generator,
    counts: Sequence[tuple[str, int]],
    defects: Sequence[Defect],
    ledger: Ledger,
    protected: BoolArray | None = None,
) -> Columns:
    """Apply ``defects`` and exact duplicates (``counts`` gives how many of each kind) to a table.

    ``protected`` rows are never chosen (e.g. rows that are already messy). Kinds that are not quarantined or
    duplicates (``mixed_timezone``) are only counted.
    """
    n = len(next(iter(cols.values())))
    picks, order = plan(rng, n, counts, protected)
    out = apply_defects(table, cols, rng, picks, defects, ledger)
    ledger.add("exact_duplicate", table, len(order) - n)
    return apply_copies(out, order) if len(order) > n else out


def simple_table(
    table: str,
    cols: Columns,
    rng: np.random.Generator,
    rates: dict[str, float],
    ledger: Ledger,
    defects: Sequence[Defect] = (),
) -> Columns:
    """Inject exact duplicates (and optional defects, each at its rate) into a table generated in one
    piece."""
    n = len(next(iter(cols.values())))
    counts = [(d.kind, exact_count(rates[d.kind], n)) for d in defects]
    counts.append(("exact_duplicate", exact_count(rates["exact_duplicate"], n)))
    return inject(table, cols, rng, counts, defects, ledger)


# ----------------------------------------------------------------------------------------------------------
# Value makers
# ----------------------------------------------------------------------------------------------------------


def from_vocab(values: Sequence[str | None]) -> Maker:
    """Replacement values drawn uniformly from ``values``."""

    def make(rng: np.random.Generator, pos: IntArray) -> pa.Array:
        return fmt.take(fmt.as_column(values), rng.integers(0, len(values), len(pos)))

    return make


def bad_ids() -> Maker:
    """Invalid identifiers: null, empty, blank, N/A, #REF!, 'null'."""
    return from_vocab(V.BAD_IDS)
