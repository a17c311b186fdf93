"""The learning table: point-in-time snapshot rows (lead x instant) with features, label and part (train or
holdout), and the splits that do not cheat.

- **time** (the history has dates): leads created up to the cutoff (the 1 - holdout quantile of creation
  times) train, later leads are the holdout; training rows come from snapshots up to the cutoff, holdout rows
  from snapshots after it, each labelled with the outcome in the `horizon` after the snapshot.
- **stratified** (lead-level snapshot exports, where every lead carries one date): leads are split at random
  (fixed seed) in proportion of those that reached the outcome; one snapshot, the build of the whole export,
  labelled with whether the lead ever reached the outcome.

No lead is in both parts, and nothing of a holdout row (label or features) is read while fitting, binning or
choosing the threshold: `train` is all `fit` ever gets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from scripts.calibrate.frame import LeadFrame, Outcome
from scripts.calibrate.snapshots import snapshot_instants
from scripts.learn.features import Feature

SplitKind = Literal["time", "stratified"]
DAY = 86_400.0
MIN_DATED_DAYS = 20
"""A history whose leads were created on fewer distinct days is a lead-level snapshot export."""


class LearnRefused(RuntimeError):
    """Too little history to learn from, or a split that cannot be made; the message says why."""


@dataclass(frozen=True)
class Plan:
    """Where to take snapshots and how leads are split."""

    split: SplitKind
    train_instants: tuple[float | None, ...]
    holdout_instants: tuple[float | None, ...]
    cutoff: float | None
    """time split: leads created after this instant are the holdout."""


def is_dated(frame: LeadFrame) -> bool:
    """Whether the leads' creation dates spread over enough days for a time split."""
    created = frame.created_at[np.isfinite(frame.created_at)]
    return len(np.unique(np.floor(created / DAY))) >= MIN_DATED_DAYS


def plan(frame: LeadFrame, split: str, holdout_share: float, snapshots: int, horizon_seconds: float) -> Plan:
    """The snapshot instants and split for this history (`split`: auto, time or stratified)."""
    dated = is_dated(frame)
    kind: SplitKind = ("time" if dated else "stratified") if split == "auto" else split  # type: ignore[assignment]
    if kind == "time" and not dated:
        raise LearnRefused("a time split needs leads created over at least "
                           f"{MIN_DATED_DAYS} days; this history is a snapshot export: use --split stratified")
    if not dated:
        return Plan("stratified", (None,), (None,), None)
    created = frame.created_at[np.isfinite(frame.created_at)]
    start, end = float(created.min()), frame.data_end - horizon_seconds
    if kind == "stratified":
        instants = tuple(snapshot_instants(start, end, snapshots)) if end > start else (None,)
        return Plan("stratified", instants, instants, None)
    cutoff = float(np.quantile(created, 1.0 - holdout_share))
    if end <= cutoff + DAY:
        raise LearnRefused(f"the history ends too soon after the holdout starts for a {horizon_seconds / DAY:g}-day "
                           "horizon: use a shorter --horizon-days or --split stratified")
    train = snapshot_instants(start, cutoff, snapshots)
    last_created = float(created.max())
    holdout_end = min(end, last_created) if last_created > cutoff + DAY else end  # new leads' first months
    holdout = snapshot_instants(cutoff, holdout_end, max(1, snapshots // 2))
    return Plan("time", tuple(t for t in train if t > start), tuple(t for t in holdout if t > cutoff), cutoff)


@dataclass
class LearningTable:
    """Snapshot rows: `features` columns in `data`, plus the lead, instant, label and part of each row."""

    data: pd.DataFrame
    features: list[Feature]
    contact_id: npt.NDArray[np.object_]
    instant: npt.NDArray[np.float64]
    label: npt.NDArray[np.int_]
    is_holdout: npt.NDArray[np.bool_]

    def part(self, holdout: bool) -> tuple[pd.DataFrame, npt.NDArray[np.int_]]:
        """The rows of one part (features only) and their labels."""
        mask = self.is_holdout == holdout
        return self.data[mask].reset_index(drop=True), self.label[mask]

    def lead_groups(self, holdout: bool) -> npt.NDArray[np.int_]:
        """For the rows of a part, an index of their lead (for bootstrapping over leads)."""
        ids = self.contact_id[self.is_holdout == holdout]
        _, groups = np.unique(ids.astype(str), return_inverse=True)
        return groups.astype(np.int_)


def snapshot_rows(attributes: pd.DataFrame, counts: pd.DataFrame, frame: LeadFrame, outcome: Outcome,
                  at: float | None, horizon_seconds: float) -> tuple[pd.DataFrame, npt.NDArray[np.int_]]:
    """Rows of one snapshot: leads that exist at `at` and are still marketing's (not yet taken by sales), with
    the outcome in (at, at + horizon]; `at` None (a snapshot export): every lead, labelled with any outcome."""
    index = frame.index()
    positions = np.array([index.get(str(c), -1) for c in attributes["contact_id"]])
    data = pd.concat([attributes.reset_index(drop=True), counts.reset_index(drop=True)], axis=1)
    known = positions >= 0
    target = np.where(known, frame.outcome_at(outcome)[np.maximum(positions, 0)], np.inf)
    if at is None:
        keep = known
        label = np.isfinite(target)
    else:
        handoff = np.where(known, frame.handoff_at[np.maximum(positions, 0)], -np.inf)
        keep = known & (handoff > at)
        label = (target > at) & (target <= at + horizon_seconds)
    return data[keep].reset_index(drop=True), label[keep].astype(np.int_)


def assemble(parts: Sequence[tuple[pd.DataFrame, npt.NDArray[np.int_], float | None, bool]],
             features: Sequence[Feature]) -> LearningTable:
    """Stack snapshot rows (data, label, instant, is_holdout) into one table over the union of features."""
    frames, labels, instants, holdout = [], [], [], []
    for data, label, at, is_holdout in parts:
        frames.append(data)
        labels.append(label)
        instants.append(np.full(len(data), np.nan if at is None else at))
        holdout.append(np.full(len(data), is_holdout))
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    for feature in features:
        if feature.name not in data:
            data[feature.name] = None if feature.kind == "category" else np.nan
        elif feature.kind == "count":
            data[feature.name] = data[feature.name].astype(np.float64).fillna(0.0)
    return LearningTable(
        data=data[[f.name for f in features]].reset_index(drop=True), features=list(features),
        contact_id=data["contact_id"].astype(str).to_numpy(dtype=object),
        instant=np.concatenate(instants) if instants else np.array([]),
        label=np.concatenate(labels) if labels else np.array([], dtype=np.int_),
        is_holdout=np.concatenate(holdout) if holdout else np.array([], dtype=bool),
    )


def stratified_holdout(table: LearningTable, holdout_share: float, seed: int) -> npt.NDArray[np.bool_]:
    """Holdout flag per row: leads drawn at random (fixed seed), stratified by whether any of their rows is
    positive; every row of a lead lands in the same part."""
    from sklearn.model_selection import train_test_split

    ids = table.contact_id.astype(str)
    leads, inverse = np.unique(ids, return_inverse=True)
    positive = np.zeros(len(leads), dtype=np.int_)
    np.maximum.at(positive, inverse, table.label)
    stratify = positive if 0 < positive.sum() < len(leads) and min(positive.sum(), len(leads) - positive.sum()) >= 2 \
        else None
    _, holdout_leads = train_test_split(np.arange(len(leads)), test_size=holdout_share, random_state=seed,
                                        stratify=stratify)
    flags = np.zeros(len(leads), dtype=bool)
    flags[holdout_leads] = True
    return flags[inverse]
