"""Choose an MQL setting for a goal the user states.

- **conversion** (a target MQL->outcome conversion rate): among settings whose conversion reaches the target,
  the one that converts the most leads (highest recall); if none does, the one with the best conversion.
- **capacity** (sales can work N MQLs a month): among settings with at most N MQLs a month, the one that converts
  the most leads; if none fits (fast-track hand-raisers alone exceed it), the one with the fewest MQLs.
- **fbeta**: the best F-beta (beta > 1 favours recall, < 1 precision).

Ties go to the higher conversion, then to the current setting's grade and the lower threshold. Settings with
fewer than `min_mqls` MQLs are not recommended (a rate measured on a handful of leads is noise), nor are settings
the caller rules out (`allowed`: e.g. one that qualifies every new lead selects nobody out), nor any setting when no
MQL of any allowed setting reaches the outcome: with nothing converting there is nothing to calibrate against (F and
conversion are 0 everywhere, and the lowest threshold would win a tie).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from scripts.calibrate.frame import Setting
from scripts.calibrate.sweep import Metrics

GoalKind = Literal["conversion", "capacity", "fbeta"]
DEFAULT_MIN_MQLS = 5


@dataclass(frozen=True)
class Goal:
    """What the threshold should achieve: `conversion` (value = target rate, 0-1), `capacity` (value = MQLs
    per month) or `fbeta` (value = beta)."""

    kind: GoalKind
    value: float

    def describe(self) -> str:
        """The goal in words."""
        if self.kind == "conversion":
            return f"MQL conversion of at least {self.value:.1%}"
        if self.kind == "capacity":
            return f"at most {self.value:g} MQLs a month (sales capacity)"
        return f"best F{self.value:g} (precision and recall)"


@dataclass(frozen=True)
class Choice:
    """The chosen setting's index (None: no setting can be recommended) and whether the goal was met (with a note
    when not)."""

    index: int | None
    met: bool
    note: str = ""


def _order(primary: np.ndarray, secondary: np.ndarray, settings: list[Setting], prefer_grade: str | None) -> np.ndarray:
    grade_penalty = np.array([0.0 if (s.min_fit_grade or "") == (prefer_grade or "") else 1.0 for s in settings])
    thresholds = np.array([s.threshold for s in settings])
    # np.lexsort sorts by the last key first; we want max primary, max secondary, preferred grade, low threshold.
    return np.lexsort((thresholds, grade_penalty, -np.nan_to_num(secondary, nan=-1.0),
                       -np.nan_to_num(primary, nan=-1.0)))


def choose(settings: list[Setting], point: Metrics, goal: Goal, *, min_mqls: int = DEFAULT_MIN_MQLS,
           prefer_grade: str | None = None, allowed: np.ndarray | None = None) -> Choice:
    """The recommended setting for `goal` from one set of metrics (one value per setting), among the `allowed`
    ones (all when None); `Choice.index` is None when none can be recommended."""
    usable = point.mqls > 0
    if allowed is not None:
        usable = usable & np.asarray(allowed, dtype=bool)
    if not usable.any():
        if not (point.mqls > 0).any():
            return Choice(None, False, "no setting qualifies any lead in the training period")
        return Choice(None, False, "every setting that qualifies anyone qualifies every lead created in the training "
                                   "period: no threshold separates leads")
    if not (np.where(usable, point.true_positives, 0.0) > 0).any():
        return Choice(None, False, "no MQL reaches the outcome within the horizon under any setting in the training "
                                   "period: nothing to calibrate a threshold against")
    enough = usable & (point.mqls >= min_mqls)
    if not enough.any():
        enough = usable
    precision = np.where(enough, point.precision, np.nan)
    if goal.kind == "fbeta":
        score = np.where(enough, point.f_beta(goal.value), -1.0)
        best = int(_order(score, precision, settings, prefer_grade)[0])
        return Choice(best, True)
    if goal.kind == "conversion":
        feasible = enough & (np.nan_to_num(point.precision, nan=-1.0) >= goal.value)
        if feasible.any():
            tp = np.where(feasible, point.true_positives, -1.0)
            return Choice(int(_order(tp, precision, settings, prefer_grade)[0]), True)
        best = int(_order(precision, point.true_positives, settings, prefer_grade)[0])
        return Choice(best, False, f"no setting reaches {goal.value:.1%} conversion; the best is "
                                   f"{point.precision[best]:.1%}")
    feasible = enough & (point.mqls_per_month <= goal.value)
    if feasible.any():
        tp = np.where(feasible, point.true_positives, -1.0)
        return Choice(int(_order(tp, precision, settings, prefer_grade)[0]), True)
    volume = np.where(enough, point.mqls_per_month, np.inf)
    best = int(np.argmin(volume))
    return Choice(best, False, f"no setting stays within {goal.value:g} MQLs a month; the fewest is "
                               f"{point.mqls_per_month[best]:.1f} (fast-track hand-raisers qualify at any threshold)")


def choose_replicates(settings: list[Setting], replicates: Metrics, goal: Goal, *, min_mqls: int = DEFAULT_MIN_MQLS,
                      prefer_grade: str | None = None, allowed: np.ndarray | None = None) -> list[int]:
    """The setting each bootstrap replicate would recommend (how stable the recommendation is); replicates that
    can recommend none are left out."""
    chosen: list[int] = []
    for b in range(replicates.mqls.shape[0]):
        one = Metrics(
            mqls=replicates.mqls[b], mqls_per_month=replicates.mqls_per_month[b],
            conversion={k: v[b] for k, v in replicates.conversion.items()}, precision=replicates.precision[b],
            recall=replicates.recall[b], base_rate=replicates.base_rate[b], lift=replicates.lift[b],
            true_positives=replicates.true_positives[b], positives=replicates.positives[b],
        )
        index = choose(settings, one, goal, min_mqls=min_mqls, prefer_grade=prefer_grade, allowed=allowed).index
        if index is not None:
            chosen.append(index)
    return chosen


def nearest_volume(point: Metrics, volume: float) -> int:
    """The setting whose MQL count is closest to `volume` (ties: the smaller volume): used to compare rubrics at
    equal MQL volume."""
    gap = np.abs(point.mqls - volume) + (point.mqls > volume) * 1e-6
    return int(np.argmin(gap))
