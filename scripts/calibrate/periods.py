"""Time-based split of the history into a training period and a later holdout period.

A lead counts in a period when it first qualifies (crosses the setting) inside it; its conversion is counted when
the outcome follows within the horizon. The training period ends one horizon before the split and its outcomes
are only read up to the split, so everything the recommendation uses was known at the split (no look-ahead);
the holdout period starts at the split and ends one horizon before the end of the data, so its conversions have
had the full horizon to happen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from scripts.calibrate.frame import LeadFrame

DAY = 86_400.0
MONTH_DAYS = 30.4375
DEFAULT_HORIZON_DAYS = 90.0
MIN_PERIOD_DAYS = 14.0


def to_datetime(epoch: float) -> datetime:
    """Epoch seconds to a naive UTC datetime."""
    return datetime.fromtimestamp(epoch, tz=UTC).replace(tzinfo=None)


def to_epoch(value: datetime) -> float:
    """A naive UTC datetime (or aware one) to epoch seconds."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.timestamp()


def _midnight(epoch: float) -> float:
    return float(np.floor(epoch / DAY) * DAY)


@dataclass(frozen=True)
class Period:
    """Leads that first qualify in [start, end); their outcomes are read up to `observed_until`."""

    name: str
    start: float
    end: float
    observed_until: float

    @property
    def months(self) -> float:
        """Length in months (30.4375 days)."""
        return max((self.end - self.start) / DAY / MONTH_DAYS, 1e-9)

    def describe(self) -> str:
        """The period in words."""
        return (f"{self.name}: {to_datetime(self.start):%Y-%m-%d} to {to_datetime(self.end):%Y-%m-%d} "
                f"({self.months:.1f} months; outcomes read until {to_datetime(self.observed_until):%Y-%m-%d})")

    def as_dict(self) -> dict[str, object]:
        """The period for the JSON summary."""
        return {"name": self.name, "start": to_datetime(self.start).isoformat(),
                "end": to_datetime(self.end).isoformat(), "months": round(self.months, 2),
                "outcomes_observed_until": to_datetime(self.observed_until).isoformat()}


@dataclass(frozen=True)
class Periods:
    """The training period, the holdout period (None when the history is too short for one), the horizon."""

    training: Period
    holdout: Period | None
    horizon_days: float
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def horizon_seconds(self) -> float:
        """The horizon in seconds."""
        return self.horizon_days * DAY

    @property
    def split(self) -> float | None:
        """Start of the holdout period (None without one)."""
        return self.holdout.start if self.holdout else None


def plan_periods(leads: LeadFrame, *, horizon_days: float | None = None, split: datetime | None = None,
                 train_start: datetime | None = None, holdout_end: datetime | None = None,
                 holdout_share: float = 1 / 3) -> Periods:
    """Choose the training and holdout periods (defaults: a holdout with about `holdout_share` of the leads).

    With little history the default horizon is shortened, and without room for a holdout the result has none;
    both come with a warning rather than an error.
    """
    warnings: list[str] = []
    created = leads.created_at[np.isfinite(leads.created_at)]
    if len(created) == 0:
        raise ValueError("no leads in the warehouse: nothing to calibrate")
    first = _midnight(float(created.min())) if train_start is None else to_epoch(train_start)
    activity_end, data_end = leads.activity_end, leads.data_end
    span_days = max((min(activity_end, data_end) - first) / DAY, 1.0)
    horizon = DEFAULT_HORIZON_DAYS if horizon_days is None else float(horizon_days)
    if horizon_days is None and span_days < 5 * horizon:
        shorter = max(7.0, float(np.floor(span_days / 5)))
        warnings.append(f"only {span_days:.0f} days of history: the conversion horizon is shortened from "
                        f"{horizon:.0f} to {shorter:.0f} days (set --horizon-days to choose)")
        horizon = shorter
    h = horizon * DAY
    crossing_end = min(activity_end, data_end - h)
    if holdout_end is not None:
        crossing_end = min(crossing_end, to_epoch(holdout_end))
    if crossing_end <= first:
        warnings.append("the history is shorter than one horizon: conversions are counted as observed so far")
        crossing_end = activity_end
    if split is not None:
        s = to_epoch(split)
        train_end = s - h
        if train_end <= first + MIN_PERIOD_DAYS * DAY:
            warnings.append("the training period is shorter than the horizon before the split: its conversions "
                            "are only partly observed (move --split later or shorten --horizon-days)")
            train_end = s
        training = Period("training", first, train_end, s)
        holdout = Period("holdout", s, crossing_end if crossing_end > s else data_end, data_end)
        return Periods(training, holdout, horizon, tuple(warnings))
    chosen = _choose_split(created, first, crossing_end, h, holdout_share)
    if chosen is None:
        warnings.append("not enough history for a holdout period: the recommendation is not validated on later "
                        "data; read its bootstrap intervals")
        return Periods(Period("training", first, crossing_end, data_end), None, horizon, tuple(warnings))
    return Periods(Period("training", first, chosen - h, chosen), Period("holdout", chosen, crossing_end, data_end),
                   horizon, tuple(warnings))


def _choose_split(created: np.ndarray, first: float, crossing_end: float, horizon: float,
                  share: float) -> float | None:
    """The day whose split gives the holdout period the wanted share of the leads created in both periods."""
    lowest = first + horizon + MIN_PERIOD_DAYS * DAY
    highest = crossing_end - MIN_PERIOD_DAYS * DAY
    if highest <= lowest:
        return None
    best: tuple[float, float] | None = None
    for s in np.arange(_midnight(lowest) + DAY, highest, DAY):
        n_train = float(np.count_nonzero((created >= first) & (created < s - horizon)))
        n_hold = float(np.count_nonzero((created >= s) & (created < crossing_end)))
        if n_train + n_hold == 0:
            continue
        gap = abs(n_hold / (n_train + n_hold) - share)
        if best is None or gap < best[0]:
            best = (gap, float(s))
    return best[1] if best else None
