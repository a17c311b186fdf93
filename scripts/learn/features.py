"""What `mql learn` fits on: one row per lead and snapshot instant, with the lead's fit attributes and engagement
signals as a warehouse built `as_of` that instant saw them (nothing later leaks in).

Signals are the conditions the current engagement rules already test (each distinct event type + condition, or
quantity), plus every event type the data holds. A *feature build* scores them with a counting rubric: one rule per
signal that earns 1 point per matching event (or per whole quantity unit) with no cap, decay or daily limit, once
over all time and once over the last `RECENT_WINDOW_DAYS` days. The build's score components are then the counts,
matched by the same SQL that scores any rubric. Attributes are read from `int_contact_attributes` (the version
valid at the snapshot): the standard fit attributes and every key of the contact's and account's
`custom_attributes` JSON.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import pandas as pd

FeatureKind = Literal["category", "number", "count"]
RECENT_WINDOW_DAYS = 30
"""Window of the recent variant of each signal (recency as a feature)."""

ENGAGEMENT_SEED = "seeds/scoring/engagement_rules.csv"
FIT_SEED = "seeds/scoring/fit_rules.csv"
CUSTOM_SEED = "seeds/scoring/custom_attributes.csv"
ENGAGEMENT_COLUMNS: tuple[str, ...] = (
    "rule_id", "score_family", "event_type", "condition_field", "condition_operator", "condition_value", "points",
    "quantity_field", "quantity_unit", "max_points", "max_per_day", "window_days", "half_life_days",
    "is_fast_track", "description",
)
FIT_COLUMNS: tuple[str, ...] = ("rule_id", "score_family", "attribute", "attribute_value", "min_value", "max_value",
                                "points", "description")

STANDARD_ATTRIBUTES: dict[str, FeatureKind] = {
    "seniority": "category", "job_function": "category", "industry": "category", "company_size_band": "category",
    "employee_count": "number", "annual_revenue": "number", "country_code": "category", "region": "category",
    "has_budget_authority": "category", "email_type": "category", "lead_source_channel": "category",
}
"""The standard fit attributes (columns of int_contact_attributes) a fit rule can test, by feature kind."""


@dataclass(frozen=True)
class Signal:
    """An engagement signal: the events of one type that meet one condition, counted (or their quantity summed in
    whole units) over all time or over the last `window_days` days."""

    signal_id: str
    event_type: str
    condition_field: str = ""
    condition_operator: str = ""
    condition_value: str = ""
    quantity_field: str = ""
    quantity_unit: str = ""
    window_days: int | None = None
    direction: int = 1
    """+1 when more of it should not lower the score (the current rules give it positive points), -1 otherwise."""

    @property
    def is_quantity(self) -> bool:
        return bool(self.quantity_field)

    def label(self) -> str:
        """Readable name, e.g. `page_view[page_category = pricing] last 30 days`."""
        text = self.event_type
        if self.condition_field:
            text += f"[{self.condition_field} {self.condition_operator or '='} {self.condition_value}]"
        if self.quantity_field:
            text += f" {self.quantity_field}/{self.quantity_unit or 1}"
        if self.window_days:
            text += f" last {self.window_days} days"
        return text

    def rule_row(self, rule_id: str, points: float, cap: float | None, *, per_event: bool = False,
                 description: str = "") -> dict[str, str]:
        """An engagement rule row on this signal's condition (`per_event`: ignore the quantity)."""
        quantity = not per_event and self.is_quantity
        return {
            "rule_id": rule_id, "score_family": "negative" if points < 0 else "engagement",
            "event_type": self.event_type, "condition_field": self.condition_field,
            "condition_operator": self.condition_operator, "condition_value": self.condition_value,
            "points": _number(points), "quantity_field": self.quantity_field if quantity else "",
            "quantity_unit": self.quantity_unit if quantity else "", "max_points": "" if cap is None else _number(cap),
            "max_per_day": "", "window_days": "" if self.window_days is None else str(self.window_days),
            "half_life_days": "", "is_fast_track": "false", "description": description,
        }


@dataclass(frozen=True)
class Feature:
    """One column of the learning table: a fit attribute or an engagement signal."""

    name: str
    kind: FeatureKind
    attribute: str | None = None
    entity: str | None = None
    """contact or account for a custom attribute; None for a standard one."""
    signal: Signal | None = None

    @property
    def is_custom(self) -> bool:
        return self.entity is not None


def _number(value: float) -> str:
    return f"{value:.10g}"


def seed_rows(text: str | None) -> list[dict[str, str]]:
    """The rows of a seed CSV (stripped cells)."""
    if not text:
        return []
    return [{key: (value or "").strip() for key, value in row.items() if key is not None}
            for row in csv.DictReader(io.StringIO(text))]


def rows_to_csv(rows: Sequence[Mapping[str, str]], columns: Sequence[str]) -> str:
    """Seed CSV text of `rows` with `columns` (quoted where needed, \\n line ends)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column, "") for column in columns})
    return buffer.getvalue()


def signals_from_rules(engagement_text: str | None, event_types: Sequence[str]) -> list[Signal]:
    """The distinct conditions of the current engagement rules, then each event type of the data not already
    covered by an unconditioned rule, each over all time and over the recent window."""
    keys: dict[tuple[str, str, str, str, str, str], int] = {}
    for row in seed_rows(engagement_text):
        key = (row.get("event_type", ""), row.get("condition_field", ""),
               (row.get("condition_operator") or "").lower(), row.get("condition_value", ""),
               row.get("quantity_field", ""), row.get("quantity_unit", ""))
        points = float(row.get("points") or 0)
        keys.setdefault(key, 1 if points >= 0 else -1)
    for event_type in event_types:
        keys.setdefault((event_type, "", "", "", "", ""), 1)
    signals: list[Signal] = []
    for number, (signal_key, direction) in enumerate(keys.items(), start=1):
        for window in (None, RECENT_WINDOW_DAYS):
            suffix = "" if window is None else f"W{window}"
            event_type, field, operator, value, quantity, unit = signal_key
            signals.append(Signal(f"S{number:03d}{suffix}", event_type, field, operator, value, quantity, unit,
                                  window_days=window, direction=direction))
    return signals


def counting_rules_text(signals: Sequence[Signal]) -> str:
    """The feature build's engagement seed: one uncapped rule per signal worth 1 point per event (or unit)."""
    rows = [signal.rule_row(signal.signal_id, 1.0, None, description=f"learn feature: {signal.label()}")
            for signal in signals]
    return rows_to_csv(rows, ENGAGEMENT_COLUMNS)


def declared_custom_attributes(custom_text: str | None) -> dict[str, tuple[str, str]]:
    """Declared custom attributes: name -> (entity, data_type)."""
    return {row["attribute"]: (row.get("entity", "contact"), row.get("data_type", "text"))
            for row in seed_rows(custom_text) if row.get("attribute")}


def _json_objects(values: Sequence[object]) -> list[dict[str, object]]:
    objects: list[dict[str, object]] = []
    for value in values:
        parsed: object = None
        if isinstance(value, str) and value:
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = None
        objects.append(parsed if isinstance(parsed, dict) else {})
    return objects


def _custom_kind(values: Sequence[object], declared: str | None) -> FeatureKind:
    if declared == "number":
        return "number"
    if declared in ("text", "boolean"):
        return "category"
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "number"
    return "category"


def is_missing(value: object) -> bool:
    """None, NaN, pandas' NA (a nullable boolean or integer column's missing value) or NaT."""
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and np.isnan(value))


def _text(value: object) -> str | None:
    """An attribute value as the fit rules compare it: trimmed, lowercase text (None for missing)."""
    if is_missing(value):
        return None
    text = ("true" if value else "false") if isinstance(value, (bool, np.bool_)) else str(value)
    text = text.strip().lower()
    return text or None


def _numeric(value: object) -> float:
    if is_missing(value) or isinstance(value, (bool, np.bool_)):
        return np.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return np.nan


def read_attributes(connection: duckdb.DuckDBPyConnection, custom_text: str | None,
                    excluded: Sequence[str] = ()) -> tuple[pd.DataFrame, list[Feature]]:
    """Each lead's fit attributes at the build's point in time (its latest contact version): one row per
    contact_id, a column per feature, and the features."""
    standard = ", ".join(STANDARD_ATTRIBUTES)
    table = connection.execute(f"""
        select contact_id, {standard}, custom_attributes, account_custom_attributes
        from (
            select *, row_number() over (partition by contact_id order by version_number desc) as recency
            from intermediate.int_contact_attributes
        ) as versions
        where recency = 1
        order by contact_id
    """).fetchdf()
    declared = declared_custom_attributes(custom_text)
    columns: dict[str, object] = {"contact_id": table["contact_id"].astype(str).to_numpy()}
    features: list[Feature] = []
    for name, kind in STANDARD_ATTRIBUTES.items():
        if name in excluded:
            continue
        values = table[name].tolist()
        if all(is_missing(v) for v in values):
            continue  # the export has no such attribute: nothing to learn from
        feature = Feature(f"fit:{name}", kind, attribute=name)
        columns[feature.name] = (np.array([_numeric(v) for v in values]) if kind == "number"
                                 else np.array([_text(v) for v in values], dtype=object))
        features.append(feature)
    for entity, column in (("contact", "custom_attributes"), ("account", "account_custom_attributes")):
        objects = _json_objects(table[column].tolist())
        keys = sorted({key for obj in objects for key in obj})
        for key in keys:
            known = declared.get(key)
            if key in excluded or key in STANDARD_ATTRIBUTES or (known and known[0] != entity):
                continue
            if any(f.attribute == key for f in features):
                continue  # a contact attribute shadows the account's attribute of the same name
            values = [obj.get(key) for obj in objects]
            kind = _custom_kind(values, known[1] if known else None)
            feature = Feature(f"custom:{key}", kind, attribute=key, entity=entity)
            columns[feature.name] = (np.array([_numeric(v) for v in values]) if kind == "number"
                                     else np.array([_text(v) for v in values], dtype=object))
            features.append(feature)
    return pd.DataFrame(columns), features


def read_signal_counts(connection: duckdb.DuckDBPyConnection, contact_ids: Sequence[str],
                       signals: Sequence[Signal]) -> pd.DataFrame:
    """Per lead (rows in `contact_ids` order) and signal, the feature build's points: the signal's count."""
    points = connection.execute("""
        select contact_id, rule_id, sum(scored_points) as points
        from marts.fct_lead_score_components group by contact_id, rule_id
    """).fetchdf()
    wide = points.pivot_table(index="contact_id", columns="rule_id", values="points", aggfunc="sum",
                              fill_value=0.0) if len(points) else pd.DataFrame()
    wide = wide.reindex(index=list(contact_ids), columns=[s.signal_id for s in signals]).fillna(0.0)
    wide.columns = [f"signal:{s.signal_id}" for s in signals]
    return wide.reset_index(drop=True)


def read_event_types(database: Path) -> list[str]:
    """The event types the built warehouse holds (staged events)."""
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            "select distinct event_type from staging.stg_marketing__events where event_type is not null order by 1"
        ).fetchall()
    return [str(row[0]) for row in rows]


def signal_features(signals: Sequence[Signal]) -> list[Feature]:
    """One count feature per signal."""
    return [Feature(f"signal:{s.signal_id}", "count", signal=s) for s in signals]
