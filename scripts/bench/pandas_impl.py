"""The scoring an analyst would otherwise write in pandas: read the raw event files, map them, and compute every
event's engagement score per contact with numpy. The benchmark's point of comparison, not part of the product."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from scripts.bench.rules import Rule
from scripts.paths import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "seeds" / "mappings"


def _events(data_dir: Path) -> pd.DataFrame:
    frames = [pd.read_parquet(p, columns=["event_id", "contact_id", "event_type", "occurred_at", "url"])
              for p in sorted(data_dir.glob("events*.parquet"))]
    events = pd.concat(frames, ignore_index=True)
    type_map = pd.read_csv(SEEDS / "event_type_map.csv", dtype=str)
    pages = pd.read_csv(SEEDS / "page_categories.csv", dtype=str)
    events["raw_key"] = events["event_type"].str.strip().str.replace(r"\s+", " ", regex=True).str.lower()
    events = events.merge(type_map, left_on="raw_key", right_on="raw_event_type", how="inner",
                          suffixes=("_raw", ""))
    segment = events["url"].str.extract(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*)?/([^/?#]+)")[0]
    events["path_segment"] = segment.fillna("/").str.lower()
    events = events.merge(pages, on="path_segment", how="left")
    events.loc[events["url"].notna() & events["page_category"].isna(), "page_category"] = "other"
    events.loc[events["url"].isna(), "page_category"] = None
    events["occurred_at"] = pd.to_datetime(events["occurred_at"], utc=True, format="ISO8601").dt.tz_localize(None)
    events["contact_id"] = events["contact_id"].str.strip()
    events["event_id"] = events["event_id"].str.strip()
    return events[["event_id", "contact_id", "event_type", "page_category", "occurred_at"]]


def engagement_scores(data_dir: Path, rules: list[Rule]) -> pd.Series:
    """Engagement score (negative rules included) of each event's contact at the event, indexed by event_id."""
    events = _events(data_dir)
    matched = []
    for rule in rules:
        hit = events[events["event_type"] == rule.event_type]
        if rule.condition_field == "page_category":
            hit = hit[hit["page_category"] == rule.condition_value]
        hit = hit.assign(rule_id=rule.rule_id)
        hit = hit.sort_values(["contact_id", "occurred_at", "event_id"])
        occurrence = hit.groupby(["contact_id", hit["occurred_at"].dt.date]).cumcount() + 1
        limited = occurrence > rule.max_per_day if rule.max_per_day else pd.Series(False, index=hit.index)
        matched.append(hit.assign(points=np.where(limited, 0.0, rule.points)))
    scored = pd.concat(matched, ignore_index=True)
    by_rule = {rule.rule_id: rule for rule in rules}
    instants = scored[["event_id", "contact_id", "occurred_at"]].drop_duplicates("event_id")
    results: list[pd.Series] = []
    grouped_rules = dict(tuple(scored.groupby("contact_id")))
    for contact_id, contact_events in instants.groupby("contact_id"):
        times = contact_events["occurred_at"].to_numpy().astype("datetime64[us]").astype(np.int64) / 86_400e6
        total = np.zeros(len(times))
        for rule_id, rows in grouped_rules[contact_id].groupby("rule_id"):
            rule = by_rule[rule_id]
            event_times = rows["occurred_at"].to_numpy().astype("datetime64[us]").astype(np.int64) / 86_400e6
            age = times[:, None] - event_times[None, :]
            mask = age >= 0
            if rule.window_days is not None:
                mask &= age <= rule.window_days
            decay = np.power(2.0, -age / rule.half_life_days) if rule.half_life_days else np.ones_like(age)
            value = (np.where(mask, decay, 0.0) * rows["points"].to_numpy()[None, :]).sum(axis=1)
            if rule.max_points is not None:
                value = np.minimum(value, rule.max_points) if rule.max_points > 0 else np.maximum(value,
                                                                                                   rule.max_points)
            total += value
        results.append(pd.Series(total, index=contact_events["event_id"].to_numpy()))
    return pd.concat(results) if results else pd.Series(dtype=float)
