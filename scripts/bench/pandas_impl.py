"""The scoring an analyst would otherwise write in pandas: read the raw event files, map them, and compute every
event's engagement score per contact with numpy. The benchmark's point of comparison, not part of the product (and
a test oracle: its rule conditions are written here, not taken from the dbt macros)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from scripts.bench.rules import NUMBER_FIELDS, PROPERTY_PREFIX, Condition, Rule, is_property, property_keys
from scripts.paths import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "seeds" / "mappings"
COLUMNS = ["event_id", "contact_id", "event_type", "occurred_at", "url", "campaign_id", "asset_name",
           "duration_seconds", "properties"]
REQUIRED = {"event_id", "contact_id", "event_type", "occurred_at"}


def _read(path: Path) -> pd.DataFrame:
    """The event columns of one file; an optional column the file lacks is null."""
    present = set(pq.read_schema(path).names)
    missing = REQUIRED - present
    if missing:
        raise ValueError(f"{path.name}: missing columns {sorted(missing)}")
    frame = pd.read_parquet(path, columns=[c for c in COLUMNS if c in present])
    for column in COLUMNS:
        if column not in frame:
            frame[column] = None
    return frame[COLUMNS].astype(object)


def _clean(values: pd.Series) -> pd.Series:
    """Trimmed text, blank as null."""
    text = values.astype(object).where(values.notna(), None)
    stripped = text.str.strip()
    return stripped.where(stripped.notna() & (stripped != ""), None)


def _whole_seconds(values: pd.Series) -> pd.Series:
    """Text as a whole number (a fraction rounds half away from zero), negative or unreadable as NaN."""
    number = pd.to_numeric(_clean(values), errors="coerce").astype(float)
    rounded = np.sign(number) * np.floor(np.abs(number) + 0.5)
    return rounded.where(np.isfinite(rounded) & (rounded >= 0))


def _first_key_wins(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        result.setdefault(key, value)
    return result


def _json_object(text: object) -> dict[str, object] | None:
    """The properties text as a JSON object, or None (not JSON, or not an object)."""
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    try:
        value = json.loads(str(text), object_pairs_hook=_first_key_wins)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _as_text(value: object) -> str | None:
    """A JSON value as text: a string as itself, null as None, anything else as its JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _as_number(text: object) -> float:
    """Text read as a number (NaN when it is not one)."""
    if not isinstance(text, str) or not text.isascii():
        return math.nan
    try:
        return float(text.strip())
    except ValueError:
        return math.nan


def _events(data_dir: Path, keys: list[str]) -> pd.DataFrame:
    frames = [_read(p) for p in sorted(data_dir.glob("events*.parquet"))]
    events = pd.concat(frames, ignore_index=True)
    type_map = pd.read_csv(SEEDS / "event_type_map.csv", dtype=str)
    pages = pd.read_csv(SEEDS / "page_categories.csv", dtype=str)
    events["raw_key"] = events["event_type"].str.strip().str.replace(r"\s+", " ", regex=True).str.lower()
    events = events.merge(type_map, left_on="raw_key", right_on="raw_event_type", how="inner",
                          suffixes=("_raw", ""))
    segment = events["url"].str.extract(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*)?/([^/?#]+)")[0]
    events["path_segment"] = segment.fillna("/").str.lower()
    events = events.merge(pages, on="path_segment", how="left")
    for column in ("url", "campaign_id", "asset_name"):
        events[column] = _clean(events[column])
    events.loc[events["url"].notna() & events["page_category"].isna(), "page_category"] = "other"
    events.loc[events["url"].isna(), "page_category"] = None
    events["duration_seconds"] = _whole_seconds(events["duration_seconds"])
    if keys:
        parsed = events["properties"].map(_json_object)
        for key in keys:
            events[f"p_{key}"] = parsed.map(lambda obj, key=key: None if obj is None else _as_text(obj.get(key)))
    events["occurred_at"] = pd.to_datetime(events["occurred_at"], utc=True, format="ISO8601").dt.tz_localize(None)
    events["contact_id"] = events["contact_id"].str.strip()
    events["event_id"] = events["event_id"].str.strip()
    return events[["event_id", "contact_id", "event_type", "page_category", "url", "campaign_id", "asset_name",
                   "duration_seconds", *[f"p_{key}" for key in keys], "occurred_at"]]


def _number(events: pd.DataFrame, field: str) -> pd.Series:
    if is_property(field):
        return events["p_" + field.removeprefix(PROPERTY_PREFIX)].map(_as_number).astype(float)
    return events[field].astype(float)


def _meets(events: pd.DataFrame, condition: Condition) -> pd.Series:
    """Whether each event meets the condition; an event without the field never does."""
    if condition.number is not None:
        number = _number(events, condition.field).to_numpy()
        compare = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}[condition.operator]
        with np.errstate(invalid="ignore"):
            return pd.Series(compare(number, condition.number), index=events.index)
    wanted: list[object]
    numbers = condition.numbers() if condition.field in NUMBER_FIELDS else None
    if numbers is not None:
        value, wanted = _number(events, condition.field), list(numbers)
    elif condition.field in NUMBER_FIELDS:  # a number field tested as text
        value = events[condition.field].map(lambda n: None if pd.isna(n) else str(int(n)))
        wanted = list(condition.values)
    else:
        key = "p_" + condition.field.removeprefix(PROPERTY_PREFIX) if is_property(condition.field) else condition.field
        value, wanted = events[key], list(condition.values)
    present = value.notna()
    if condition.operator == "contains":
        needle = condition.values[0].lower()
        return present & value.map(lambda text: isinstance(text, str) and needle in text.lower())
    listed = value.isin(wanted)
    return present & (~listed if condition.operator in ("!=", "not in") else listed)


def matched_points(events: pd.DataFrame, rule: Rule) -> pd.DataFrame:
    """The events that match the rule, with the points it gives each (before the daily limit)."""
    hit = events[events["event_type"] == rule.event_type]
    mask = pd.Series(True, index=hit.index)
    if rule.condition is not None:
        mask &= _meets(hit, rule.condition)
    points = pd.Series(rule.points, index=hit.index, dtype=float)
    if rule.quantity is not None:
        quantity = _number(hit, rule.quantity.field)
        mask &= quantity >= rule.quantity.unit
        points = rule.points * np.floor(quantity / rule.quantity.unit)
    return hit[mask].assign(rule_id=rule.rule_id, points=points[mask])


def engagement_scores(data_dir: Path, rules: list[Rule]) -> pd.Series:
    """Engagement score (negative rules included) of each event's contact at the event, indexed by event_id."""
    events = _events(data_dir, property_keys(rules))
    matched = []
    for rule in rules:
        hit = matched_points(events, rule).sort_values(["contact_id", "occurred_at", "event_id"])
        occurrence = hit.groupby(["contact_id", hit["occurred_at"].dt.date]).cumcount() + 1
        limited = occurrence > rule.max_per_day if rule.max_per_day else pd.Series(False, index=hit.index)
        matched.append(hit.assign(points=np.where(limited, 0.0, hit["points"])))
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
