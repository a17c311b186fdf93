"""The threshold sweep: for every MQL setting and period, MQL volume, conversion, precision, recall and lift.

Definitions (period P = [start, end), horizon H, target outcome o):

- an **MQL** of P is a lead whose first qualification under the setting falls in P, before sales took it;
- it **converts** when the outcome follows within H (and before the period's observation cut-off);
  MQL->SQL and MQL->opportunity conversion are that share for each outcome; **precision** is it for the target;
- **recall**: of the leads reaching the target outcome in P, the share that qualified within H before;
- **lift**: precision over the base rate, the share of all leads created in P that reach the outcome within H
  of being created (what passing every lead to sales would give);
- **F-beta** combines precision and recall.

A setting **qualifies nobody** in P when it has no MQL there, and **everybody** when every lead created in P becomes
an MQL under it (before sales takes it): either way it selects nothing, and it is never recommended.

Every statistic is a weighted count over leads, so bootstrap replicates are one matrix product.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from scripts.calibrate.bootstrap import interval
from scripts.calibrate.frame import OUTCOMES, FloatArray, LeadFrame, Outcome, Setting
from scripts.calibrate.periods import Period, to_datetime

BoolMatrix = npt.NDArray[np.bool_]


@dataclass
class Indicators:
    """0/1 indicators per lead (and setting) for one period; weighted sums of them give every count."""

    period: Period
    qualified: BoolMatrix  # n x K: MQL of the period
    converted: dict[Outcome, BoolMatrix]  # n x K: MQL of the period that converted within the horizon
    positive: npt.NDArray[np.bool_]  # n: reached the target outcome in the period
    recalled: BoolMatrix  # n x K: positive that qualified within the horizon before its outcome
    new_lead: npt.NDArray[np.bool_]  # n: created in the period
    new_converted: npt.NDArray[np.bool_]  # n: created in the period, target outcome within the horizon
    target: Outcome
    everybody: npt.NDArray[np.bool_]  # K: every lead created in the period qualifies (the setting selects nobody out)


def indicators(times: FloatArray, leads: LeadFrame, period: Period, horizon_seconds: float,
               target: Outcome) -> Indicators:
    """The indicators of `period` from the qualification-time matrix `times` (lead x setting)."""
    handoff = leads.handoff_at[:, None]
    valid = np.isfinite(times) & (times <= handoff)
    qualified = valid & (times >= period.start) & (times < period.end)
    deadline = np.minimum(times + horizon_seconds, period.observed_until)
    converted: dict[Outcome, BoolMatrix] = {}
    for outcome in OUTCOMES:
        at = leads.outcome_at(outcome)[:, None]
        converted[outcome] = qualified & (at >= times) & (at <= deadline)
    target_at = leads.outcome_at(target)
    positive = (target_at >= period.start) & (target_at < period.end) & (target_at <= period.observed_until)
    with np.errstate(invalid="ignore"):
        recalled = positive[:, None] & valid & (target_at[:, None] - times <= horizon_seconds)
    new_lead = (leads.created_at >= period.start) & (leads.created_at < period.end)
    new_converted = new_lead & (target_at <= np.minimum(leads.created_at + horizon_seconds,
                                                       period.observed_until))
    everybody = valid[new_lead].all(axis=0) if new_lead.any() else np.zeros(times.shape[1], dtype=bool)
    return Indicators(period, qualified, converted, positive, recalled, new_lead, new_converted, target, everybody)


@dataclass
class Metrics:
    """Metrics per setting (last axis K); with bootstrap weights every array has a leading replicate axis."""

    mqls: np.ndarray
    mqls_per_month: np.ndarray
    conversion: dict[Outcome, np.ndarray]
    precision: np.ndarray
    recall: np.ndarray
    base_rate: np.ndarray
    lift: np.ndarray
    true_positives: np.ndarray
    positives: np.ndarray

    def f_beta(self, beta: float) -> np.ndarray:
        """F-beta per setting (0 where precision and recall are both 0 or undefined)."""
        b2 = beta * beta
        with np.errstate(all="ignore"):
            value = (1 + b2) * self.precision * self.recall / (b2 * self.precision + self.recall)
        return np.where(np.isfinite(value), value, 0.0)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan)


def metrics(ind: Indicators, weights: np.ndarray | None = None) -> Metrics:
    """Metrics from the indicators; `weights` is None (each lead once), a vector (n) or a matrix (B x n)."""
    n = ind.qualified.shape[0]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    mqls = np.asarray(w @ ind.qualified.astype(np.float64))

    def per_setting(vector: npt.NDArray[np.bool_]) -> np.ndarray:
        """A weighted lead count, repeated for every setting."""
        return np.broadcast_to(np.asarray(w @ vector.astype(np.float64))[..., None], mqls.shape)

    conversion = {o: _ratio(np.asarray(w @ ind.converted[o].astype(np.float64)), mqls) for o in OUTCOMES}
    positives = per_setting(ind.positive)
    recall = _ratio(np.asarray(w @ ind.recalled.astype(np.float64)), positives)
    base = _ratio(per_setting(ind.new_converted), per_setting(ind.new_lead))
    precision = conversion[ind.target]
    return Metrics(mqls=mqls, mqls_per_month=mqls / ind.period.months, conversion=conversion, precision=precision,
                   recall=recall, base_rate=base, lift=_ratio(precision, base),
                   true_positives=np.asarray(w @ ind.converted[ind.target].astype(np.float64)),
                   positives=np.array(positives))


def sweep_table(settings: Sequence[Setting], point: Metrics, ind: Indicators, beta: float,
                replicates: Metrics | None = None, level: float = 0.9) -> pd.DataFrame:
    """One row per setting: the metrics of the indicators' period, with bootstrap intervals when replicates are
    given, and whether the setting qualifies nobody or everybody there."""
    period, everybody = ind.period, ind.everybody
    table = pd.DataFrame({
        "period": period.name,
        "mode": [s.mode for s in settings],
        "min_fit_grade": [s.min_fit_grade or "" for s in settings],
        "threshold": [s.threshold for s in settings],
        "mqls": point.mqls.astype(int),
        "mqls_per_month": point.mqls_per_month,
        "mql_to_sql": point.conversion["sql"],
        "mql_to_opportunity": point.conversion["opportunity"],
        "mql_to_won": point.conversion["won"],
        "precision": point.precision,
        "recall": point.recall,
        "lift": point.lift,
        "f_beta": point.f_beta(beta),
        "converted": point.true_positives.astype(int),
        "outcomes_in_period": point.positives.astype(int),
        "base_rate": point.base_rate,
        "qualifies_nobody": point.mqls == 0,
        "qualifies_everybody": everybody,
    })
    if replicates is not None:
        for name, values in (("mqls_per_month", replicates.mqls_per_month), ("precision", replicates.precision),
                             ("recall", replicates.recall), ("lift", replicates.lift)):
            low, high = interval(values, level)
            table[f"{name}_low"] = low
            table[f"{name}_high"] = high
    return table


def monthly_table(settings: Sequence[Setting], times: FloatArray, ind: Indicators) -> pd.DataFrame:
    """MQLs and conversions per calendar month of qualification, per setting (long format)."""
    finite = np.where(ind.qualified, times, np.nan)
    months = pd.DatetimeIndex(pd.to_datetime(finite.ravel(), unit="s")).to_period("M")
    frame = pd.DataFrame({
        "setting": np.tile(np.arange(len(settings)), times.shape[0]),
        "month": months.astype(str),
        "mqls": ind.qualified.ravel().astype(int),
        "converted": ind.converted[ind.target].ravel().astype(int),
    })
    frame = frame[frame["mqls"] > 0]
    grouped = frame.groupby(["setting", "month"], as_index=False)[["mqls", "converted"]].sum()
    grouped.insert(0, "period", ind.period.name)
    grouped["min_fit_grade"] = [settings[k].min_fit_grade or "" for k in grouped["setting"]]
    grouped["threshold"] = [settings[k].threshold for k in grouped["setting"]]
    grouped["conversion"] = grouped["converted"] / grouped["mqls"]
    return grouped.drop(columns="setting")[["period", "min_fit_grade", "threshold", "month", "mqls", "converted",
                                            "conversion"]]


def channel_table(settings: Sequence[Setting], leads: LeadFrame, ind: Indicators) -> pd.DataFrame:
    """Per lead-source channel and setting: leads created, their base conversion, MQLs and MQL conversion."""
    rows: list[pd.DataFrame] = []
    for channel in sorted({str(c) for c in leads.channel}):
        mask = (leads.channel == channel).astype(np.float64)
        point = metrics(ind, mask)
        rows.append(pd.DataFrame({
            "period": ind.period.name,
            "channel": channel,
            "min_fit_grade": [s.min_fit_grade or "" for s in settings],
            "threshold": [s.threshold for s in settings],
            "leads_created": int(mask @ ind.new_lead),
            "lead_conversion": point.base_rate,
            "mqls": point.mqls.astype(int),
            "converted": point.true_positives.astype(int),
            "mql_conversion": point.precision,
            "recall": point.recall,
        }))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def describe_time(epoch: float) -> str:
    """Epoch seconds as an ISO date-time (or empty for NEVER)."""
    return to_datetime(epoch).isoformat() if np.isfinite(epoch) else ""
