"""The SQL scoring engine agrees with an independent Python implementation of the scoring contract.

Random event histories (hundreds of contacts, every rule feature of the default rubric: conditions, daily limits,
windows, half-lives, caps, negative rules, fast-track, points per unit of a duration or a property) are loaded through the real loader and staging; the score
history and MQL events dbt builds are compared with `reference_scores` below, written straight from the formula
E_c(t) = sum_r clamp_r(sum_{i in r, t - W_r <= t_i <= t} p_i * 2^(-(t - t_i) / h_r)).
"""

from __future__ import annotations

import csv
import json
import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from scripts.contract import load_contract
from scripts.dbt_runner import run_dbt
from scripts.load import load_directory
from scripts.paths import PROJECT_ROOT
from tests.python.helpers import use_database

SEEDS = PROJECT_ROOT / "seeds"
START = datetime(2025, 1, 1)
CREATED_AT = datetime(2024, 12, 1)
CONTACTS = 300
TOLERANCE = 1e-9


@dataclass(frozen=True)
class Rule:
    rule_id: str
    event_type: str
    condition_field: str | None
    condition_operator: str
    condition_value: str | None
    quantity_field: str | None
    quantity_unit: float
    points: float
    max_points: float | None
    max_per_day: int | None
    window_days: int | None
    half_life_days: float | None
    is_fast_track: bool


def _optional(value: str, cast: type) -> object | None:
    return cast(value) if value != "" else None


def read_rules() -> list[Rule]:
    with (SEEDS / "scoring" / "engagement_rules.csv").open(encoding="utf-8") as handle:
        return [
            Rule(row["rule_id"], row["event_type"], row["condition_field"] or None, row["condition_operator"] or "=",
                 row["condition_value"] or None, row["quantity_field"] or None, float(row["quantity_unit"] or 1),
                 float(row["points"]),
                 _optional(row["max_points"], float), _optional(row["max_per_day"], int),  # type: ignore[arg-type]
                 _optional(row["window_days"], int), _optional(row["half_life_days"], float),  # type: ignore[arg-type]
                 row["is_fast_track"] == "true")
            for row in csv.DictReader(handle)
        ]


def page_urls() -> dict[str, str]:
    """One URL per page category, from the page category seed (the test's input, not the engine's logic)."""
    urls: dict[str, str] = {}
    with (SEEDS / "mappings" / "page_categories.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            segment = "" if row["path_segment"] == "/" else row["path_segment"]
            urls.setdefault(row["page_category"], f"https://www.acmeflow.io/{segment}")
    urls["other"] = "https://www.acmeflow.io/unlisted-page/x"
    return urls


@dataclass(frozen=True)
class Event:
    event_id: str
    contact_id: str
    event_type: str
    page_category: str | None
    at: datetime
    duration_seconds: int | None = None
    properties: dict[str, object] | None = None

    def field(self, name: str) -> object | None:
        """The value a rule reads: an event column or a key of the properties."""
        if name.startswith("properties."):
            return (self.properties or {}).get(name.removeprefix("properties."))
        return {"page_category": self.page_category, "duration_seconds": self.duration_seconds}.get(name)


def random_events(rng: random.Random, rules: list[Rule]) -> list[Event]:
    """Bursty histories that hit daily limits, caps, exact window boundaries and same-instant ties."""
    typed = sorted({rule.event_type for rule in rules} | {"email_sent"})
    categories = ["pricing", "product", "case_study", "docs", "blog", "home", "contact", "careers", "other"]
    events: list[Event] = []
    for c in range(CONTACTS):
        contact = f"C{c:05d}"
        moments: list[datetime] = []
        for _ in range(rng.randint(1, 6)):  # bursts
            burst = START + timedelta(days=rng.uniform(0, 400))
            moments += [burst + timedelta(hours=rng.choice([0, 0, 1, 5, 30, 200])) for _ in range(rng.randint(1, 8))]
        if rng.random() < 0.3 and moments:  # an event exactly 90 days (a common window) after another
            moments.append(moments[0] + timedelta(days=90))
        for moment in moments:
            event_type = rng.choice(typed)
            category = rng.choice(categories) if event_type == "page_view" else None
            duration = rng.choice([None, 5, 59, 60, 150, 1_000]) if event_type == "page_view" else None
            properties = {"visits": rng.choice([0, 1, 4, 30])} if event_type == "page_view" and rng.random() < .3 \
                else None
            events.append(Event(f"E{len(events):07d}", contact, event_type, category, moment, duration, properties))
    return events


def _awarded(contact_events: list[Event], rules: list[Rule]) -> dict[str, list[tuple[datetime, float]]]:
    """Points each rule awards each event of one contact, after the rule's daily limit."""
    awarded: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    per_day: dict[tuple[str, object], int] = defaultdict(int)
    for event in sorted(contact_events, key=lambda e: (e.at, e.event_id)):
        for rule in rules:
            if rule.event_type != event.event_type or not _meets_condition(rule, event):
                continue
            units = 1
            if rule.quantity_field is not None:
                quantity = event.field(rule.quantity_field)
                units = math.floor(float(quantity) / rule.quantity_unit) if quantity is not None else 0
                if units < 1:
                    continue
            per_day[(rule.rule_id, event.at.date())] += 1
            limited = rule.max_per_day is not None and per_day[(rule.rule_id, event.at.date())] > rule.max_per_day
            awarded[rule.rule_id].append((event.at, 0.0 if limited else rule.points * units))
    return awarded


def _meets_condition(rule: Rule, event: Event) -> bool:
    """The rule's condition as the README states it (a missing value never matches)."""
    if rule.condition_field is None or rule.condition_value is None:
        return True
    value = event.field(rule.condition_field)
    if value is None:
        return False
    choices = [v.strip() for v in rule.condition_value.split("|")]
    if rule.condition_operator in ("=", "in"):
        return str(value) in choices
    if rule.condition_operator in ("!=", "not in"):
        return str(value) not in choices
    if rule.condition_operator == "contains":
        return rule.condition_value.lower() in str(value).lower()
    number, bound = float(value), float(rule.condition_value)  # type: ignore[arg-type]
    return {">=": number >= bound, ">": number > bound, "<=": number <= bound, "<": number < bound}[
        rule.condition_operator]


def score_at(awarded: dict[str, list[tuple[datetime, float]]], rules: list[Rule], t: datetime,
             include_instant: bool = True) -> float:
    """E(t): per rule, the windowed, decayed sum of awarded points, clamped by the cap; summed over rules."""
    total = 0.0
    for rule in rules:
        points = 0.0
        for at, value in awarded.get(rule.rule_id, []):
            if at > t or (at == t and not include_instant):
                continue
            age = (t - at).total_seconds() / 86400
            if rule.window_days is not None and age > rule.window_days:
                continue
            points += value * (2 ** (-age / rule.half_life_days) if rule.half_life_days else 1.0)
        if rule.max_points is not None:
            points = min(points, rule.max_points) if rule.max_points > 0 else max(points, rule.max_points)
        total += points
    return total


def _by_contact(events: list[Event]) -> dict[str, list[Event]]:
    grouped: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        grouped[event.contact_id].append(event)
    return grouped


def reference_scores(events: list[Event], rules: list[Rule]) -> dict[str, float]:
    """Engagement points (negative rules included) of every event's contact at the event's instant."""
    result: dict[str, float] = {}
    for contact_events in _by_contact(events).values():
        awarded = _awarded(contact_events, rules)
        for event in contact_events:
            result[event.event_id] = score_at(awarded, rules, event.at)
    return result


def reference_first_mql(events: list[Event], rules: list[Rule], fit: dict[str, float],
                        settings: dict) -> dict[str, datetime]:
    """First MQL instant per contact (no recycles in this data): the creation instant when the lead already meets
    the setting there (fit alone, no engagement yet), else a threshold crossing (not met just before the instant,
    met at it) or a fast-track event (one that awards points) while the fit grade is acceptable."""
    bands = settings["fit_grade_bands"]
    fast_min_fit = bands.get(settings["fast_track_min_fit_grade"], -math.inf)
    if settings["qualification_mode"] == "combined":
        def qualifies(f: float, engagement: float) -> bool:
            return f + engagement >= settings["mql_combined_threshold"]
    else:
        min_fit = bands.get(settings["mql_min_fit_grade"], -math.inf)

        def qualifies(f: float, engagement: float) -> bool:
            return f >= min_fit and engagement >= settings["mql_engagement_threshold"]
    fast_rules = {r.rule_id for r in rules if r.is_fast_track}
    first: dict[str, datetime] = {}
    for contact, contact_events in _by_contact(events).items():
        awarded = _awarded(contact_events, rules)
        f = fit.get(contact, 0.0)
        if qualifies(f, 0.0):
            first[contact] = CREATED_AT
            continue
        for instant in sorted({e.at for e in contact_events}):
            meets = qualifies(f, score_at(awarded, rules, instant))
            met_before = qualifies(f, score_at(awarded, rules, instant, include_instant=False))
            fast = f >= fast_min_fit and any(at == instant and value > 0 for rule_id in fast_rules
                                             for at, value in awarded.get(rule_id, []))
            if (meets and not met_before) or fast:
                first[contact] = instant
                break
    return first


def _write_inputs(directory: Path, events: list[Event]) -> None:
    contract = load_contract()
    urls = page_urls()
    contacts = sorted({e.contact_id for e in events})
    titles = ["VP Marketing", "Marketing Manager", "Student", "CEO", "Software Engineer", None]
    columns = {name: [] for name in contract["contacts"].column_names}  # type: dict[str, list]
    for index, contact in enumerate(contacts):
        row = {name: None for name in columns}
        row.update(contact_id=contact, email=f"lead{index}@example-{index % 7}.com", job_title=titles[index % 6],
                   created_at=CREATED_AT.isoformat(sep=" "), updated_at=CREATED_AT.isoformat(sep=" "),
                   has_budget_authority="true" if index % 3 == 0 else "false", country="US")
        for name, values in columns.items():
            values.append(row[name])
    pq.write_table(pa.table(columns), directory / "contacts.parquet")
    event_columns = {name: [] for name in contract["events"].column_names}  # type: dict[str, list]
    for event in events:
        row = {name: None for name in event_columns}
        row.update(event_id=event.event_id, contact_id=event.contact_id, event_type=event.event_type,
                   occurred_at=event.at.isoformat(sep=" "),
                   url=urls[event.page_category] if event.page_category else None,
                   duration_seconds=None if event.duration_seconds is None else str(event.duration_seconds),
                   properties=None if event.properties is None else json.dumps(event.properties))
        for name, values in event_columns.items():
            values.append(row[name])
    pq.write_table(pa.table(event_columns), directory / "events.parquet")


@pytest.fixture(scope="module")
def reference_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Event], list[Rule]]:
    rng = random.Random(20261123)
    rules = read_rules()
    events = random_events(rng, rules)
    directory = tmp_path_factory.mktemp("reference-data")
    _write_inputs(directory, events)
    database = directory / "reference.duckdb"
    load_directory(directory, database)
    with use_database(database):
        run_dbt(["build", "--select", "+fct_mql_events", "--exclude", "test_type:data"], quiet=True)
    return database, events, rules


def test_sql_scores_match_the_python_reference(reference_build: tuple[Path, list[Event], list[Rule]]) -> None:
    database, events, rules = reference_build
    expected = reference_scores(events, rules)
    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            "select source_id, engagement_score from intermediate.int_contact_score_history "
            "where instant_kind = 'event'").fetchall()
    actual = dict(rows)
    scored = {event_id for event_id in expected if any(
        r.event_type == e.event_type for e in events if e.event_id == event_id for r in rules)}
    assert len(actual) >= 0.9 * len(scored) > 1000
    mismatches = [(k, actual[k], expected[k]) for k in actual if abs(actual[k] - expected[k]) > TOLERANCE]
    assert not mismatches, mismatches[:10]
    assert max(expected.values()) > 100 and min(expected.values()) < 0  # caps, decay and negatives all exercised


def test_mql_times_match_the_python_reference(reference_build: tuple[Path, list[Event], list[Rule]]) -> None:
    database, events, rules = reference_build
    settings = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    with duckdb.connect(str(database), read_only=True) as connection:
        fit = dict(connection.execute(
            "select contact_id, fit_points from intermediate.int_contact_fit_scored").fetchall())
        mql = dict(connection.execute(
            "select contact_id, qualified_at from marts.fct_mql_events where mql_sequence = 1").fetchall())
    expected = reference_first_mql(events, rules, fit, settings)
    assert len(expected) >= 20
    assert mql == expected
