"""Lifecycle and funnel marts on a built warehouse: reconciliation invariants, and the SLA, PQL, MQA and attribution
rules recomputed independently in Python from the staged data; plus the `mql demo` funnel table and the semantic
layer's manifest."""

from __future__ import annotations

import csv
import itertools
import json
import os
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from scripts.cli import app
from scripts.dbt_runner import run_dbt
from scripts.funnel import TOTAL, funnel_rows
from scripts.paths import PROJECT_ROOT
from tests.python.helpers import use_database

VARS = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())["vars"]
TOLERANCE = 1e-6


def _rows(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _scalar(database: Path, sql: str) -> object:
    return _rows(database, sql)[0][0]


def test_funnel_table_rows_add_up(built_warehouse: Path) -> None:
    rows = funnel_rows(built_warehouse)
    assert rows and rows[-1].channel == TOTAL
    total, channels = rows[-1], rows[:-1]
    assert total.leads == _scalar(built_warehouse, "select count(*) from marts.dim_leads")
    assert total.mqls > 0, "the fixture should produce MQLs, or these checks test nothing"
    for field in ("leads", "mqls", "sqls", "opportunities", "customers"):
        assert sum(getattr(row, field) for row in channels) == getattr(total, field), field
    for row in rows:
        assert row.leads >= row.mqls >= row.sqls >= row.opportunities >= row.customers, row
        if row.mqls:
            assert row.mql_to_sql_rate == pytest.approx(row.sqls / row.mqls)
    spend = _scalar(built_warehouse, "select sum(cast(amount_usd as double)) from staging.stg_marketing__marketing_spend")
    mql_entries = _scalar(built_warehouse, "select count(*) from marts.fct_lead_stage_history where lead_stage = 'mql'")
    assert total.cost_per_mql == pytest.approx(float(spend) / float(mql_entries))  # type: ignore[arg-type]


def test_every_mql_event_appears_once_in_the_lifecycle(built_warehouse: Path) -> None:
    events = {r[0] for r in _rows(built_warehouse, "select mql_event_id from marts.fct_mql_events")}
    entries = [r[0] for r in _rows(
        built_warehouse,
        "select mql_event_id from marts.fct_lead_stage_history where lead_stage = 'mql' and stage_source = 'scoring'",
    )]
    assert events and sorted(entries) == sorted(events)


def test_stage_durations_add_up_to_the_time_since_creation(built_warehouse: Path) -> None:
    history: dict[str, list[tuple]] = defaultdict(list)
    for row in _rows(built_warehouse, """
        select contact_id, stage_sequence, lead_stage, entered_at, exited_at, duration_days, is_current
        from marts.fct_lead_stage_history order by contact_id, stage_sequence
    """):
        history[row[0]].append(row)
    created = dict(_rows(built_warehouse, "select contact_id, created_at from marts.dim_leads"))
    assert set(history) == set(created)
    for contact_id, stages in history.items():
        assert stages[0][2] == "lead" and [s[1] for s in stages] == list(range(1, len(stages) + 1))
        assert [s[6] for s in stages] == [False] * (len(stages) - 1) + [True]
        for current, following in itertools.pairwise(stages):
            assert current[4] == following[3]
        spent = sum(s[5] for s in stages[:-1])
        expected = (stages[-1][3] - created[contact_id]) / timedelta(days=1)
        assert spent == pytest.approx(expected, abs=TOLERANCE), contact_id


def test_lead_cohorts_match_the_lifecycle(built_warehouse: Path) -> None:
    reached: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for _, month, channel, campaign, level in _rows(built_warehouse, """
        select
            leads.contact_id,
            date_trunc('month', leads.created_at)::date,
            coalesce(leads.lead_source_channel, 'unknown'),
            leads.original_campaign_id,
            coalesce(max(history.funnel_level), 0)
        from marts.dim_leads as leads
        left join marts.fct_lead_stage_history as history on leads.contact_id = history.contact_id
        group by all
    """):
        for step in range(level + 1):
            reached[(month, channel, campaign)][step] += 1
    cohorts = {
        (r[0], r[1], r[2]): list(r[3:]) for r in _rows(built_warehouse, """
            select cohort_month, lead_source_channel, original_campaign_id, leads, mqls, sqls, opportunities, customers
            from marts.fct_funnel_lead_cohorts
        """)
    }
    assert cohorts == dict(reached)


def test_monthly_mqls_and_cost_per_mql(built_warehouse: Path) -> None:
    mqls: dict[tuple, int] = defaultdict(int)
    for month, channel in _rows(built_warehouse, """
        select history.entered_month, lifecycle.lead_source_channel
        from marts.fct_lead_stage_history as history
        inner join marts.dim_lead_lifecycle as lifecycle on history.contact_id = lifecycle.contact_id
        where history.lead_stage = 'mql'
    """):
        mqls[(month, channel)] += 1
    spend: dict[tuple, float] = defaultdict(float)
    for month, channel, amount in _rows(built_warehouse, """
        select date_trunc('month', spend_date)::date, coalesce(channel, 'unknown'), cast(amount_usd as double)
        from staging.stg_marketing__marketing_spend
    """):
        spend[(month, channel)] += amount
    monthly = _rows(built_warehouse, """
        select funnel_month, channel, sum(mqls), sum(spend_usd), min(channel_cost_per_mql), max(channel_cost_per_mql)
        from marts.fct_funnel_monthly group by all
    """)
    assert sum(r[2] for r in monthly) == sum(mqls.values())
    for month, channel, month_mqls, month_spend, low, high in monthly:
        assert month_mqls == mqls.get((month, channel), 0)
        assert month_spend == pytest.approx(spend.get((month, channel), 0.0), abs=0.005)
        assert low == high  # one channel cost per MQL per month and channel, on every campaign row
        if month_mqls == 0:
            assert low is None
        else:
            assert low == pytest.approx(month_spend / month_mqls)


def test_speed_to_lead_matches_a_python_first_touch(built_warehouse: Path) -> None:
    activities: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for contact_id, occurred_at, activity_id in _rows(
        built_warehouse, "select contact_id, occurred_at, activity_id from staging.stg_crm__sales_activities"
    ):
        activities[contact_id].append((occurred_at, activity_id))
    events: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for contact_id, qualified_at, mql_event_id in _rows(
        built_warehouse, "select contact_id, qualified_at, mql_event_id from marts.fct_mql_events"
    ):
        events[contact_id].append((qualified_at, mql_event_id))
    expected: dict[str, tuple[str | None, float | None]] = {}
    for contact_id, mqls in events.items():
        mqls.sort()
        for index, (qualified_at, mql_event_id) in enumerate(mqls):
            until = mqls[index + 1][0] if index + 1 < len(mqls) else datetime.max
            touches = sorted(t for t in activities[contact_id] if qualified_at <= t[0] < until)
            first = touches[0] if touches else None
            expected[mql_event_id] = (
                first[1] if first else None,
                (first[0] - qualified_at) / timedelta(minutes=1) if first else None,
            )
    target = VARS["speed_to_lead_sla_minutes"]
    actual = _rows(built_warehouse, """
        select mql_event_id, first_touch_activity_id, minutes_to_first_touch, is_within_sla, is_never_touched
        from marts.fct_mql_speed_to_lead
    """)
    assert len(actual) == len(expected)
    assert any(row[1] is not None for row in actual)
    for mql_event_id, activity_id, minutes, within, never in actual:
        want_activity, want_minutes = expected[mql_event_id]
        assert activity_id == want_activity, mql_event_id
        assert never == (want_minutes is None)
        if want_minutes is not None:
            assert minutes == pytest.approx(want_minutes)
            assert within == (want_minutes <= target)


def test_pql_matches_a_python_implementation(built_warehouse: Path) -> None:
    with (PROJECT_ROOT / "seeds" / "lifecycle" / "pql_rules.csv").open() as handle:
        rules = list(csv.DictReader(handle))
    events: dict[str, list[tuple[datetime, int, str, str]]] = defaultdict(list)
    for contact_id, event_id, event_type, occurred_at in _rows(built_warehouse, """
        select contact_id, event_id, event_type, occurred_at from staging.stg_marketing__events
        where event_type in ('trial_signup', 'product_usage')
    """):
        events[contact_id].append((occurred_at, 0 if event_type == "trial_signup" else 1, event_id, event_type))
    expected: dict[str, datetime] = {}
    for rule in rules:
        needed, window = int(rule["min_usage_events"]), timedelta(days=int(rule["window_days"]))
        for contact_id, stream in events.items():
            started, used = None, 0
            for occurred_at, _, _, event_type in sorted(stream):
                if event_type == rule["start_event_type"]:
                    started, used = occurred_at, 0
                elif event_type == rule["usage_event_type"] and started is not None:
                    used += 1
                    if used >= needed and occurred_at - started <= window:
                        expected[f"{contact_id}:{rule['pql_rule_id']}"] = occurred_at
                        break
    actual = dict(_rows(
        built_warehouse, "select product_qualification_id, qualified_at from intermediate.int_leads_product_qualified"
    ))
    assert actual == expected


def test_mqa_depth_and_breadth_match_brute_force(built_warehouse: Path) -> None:
    window = timedelta(days=VARS["mqa_window_days"])
    events: dict[str, list[tuple[datetime, str, float]]] = defaultdict(list)
    for account_id, contact_id, occurred_at, points in _rows(built_warehouse, """
        select leads.account_id, events.contact_id, events.occurred_at, events.awarded_points
        from intermediate.int_events_scored as events
        inner join marts.dim_leads as leads on events.contact_id = leads.contact_id
        where events.score_family = 'engagement' and events.awarded_points > 0 and leads.account_id is not null
    """):
        events[account_id].append((occurred_at, contact_id, points))
    rows = _rows(built_warehouse, """
        select account_id, engaged_at, engagement_points_in_window, engaged_contacts_in_window
        from intermediate.int_account_engagement_windowed
    """)
    assert rows
    for account_id, at, depth, breadth in rows:
        inside = [e for e in events[account_id] if at - window <= e[0] <= at]
        assert breadth == len({e[1] for e in inside}), (account_id, at)
        assert depth == pytest.approx(sum(e[2] for e in inside)), (account_id, at)


def test_opportunity_attribution_matches_the_rule(built_warehouse: Path) -> None:
    influence = timedelta(days=VARS["pipeline_influence_window_days"])
    mqls: dict[str, list[datetime]] = defaultdict(list)
    for contact_id, qualified_at in _rows(built_warehouse, "select contact_id, qualified_at from marts.fct_mql_events"):
        mqls[contact_id].append(qualified_at)
    account_contacts: dict[str, list[str]] = defaultdict(list)
    for contact_id, account_id in _rows(built_warehouse, "select contact_id, account_id from marts.dim_leads"):
        if account_id is not None:
            account_contacts[account_id].append(contact_id)
    rows = _rows(built_warehouse, """
        select opportunity_id, account_id, contact_id, created_at, is_mql_sourced, is_mql_influenced
        from marts.fct_opportunity_attribution
    """)
    assert rows
    for _, account_id, contact_id, created_at, sourced, influenced in rows:
        want_sourced = any(t <= created_at for t in mqls.get(contact_id, []))
        want_influenced = want_sourced or any(
            created_at - influence <= t <= created_at
            for colleague in account_contacts.get(account_id, [])
            for t in mqls.get(colleague, [])
        )
        assert (sourced, influenced) == (want_sourced, want_influenced)


def test_immature_cohorts_are_marked(built_warehouse: Path) -> None:
    window = VARS["funnel_conversion_window_days"]
    for month, immature, reference in _rows(
        built_warehouse, "select cohort_month, is_immature, reference_at from marts.fct_funnel_lead_cohorts"
    ):
        next_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
        matures = datetime.combine(next_month + timedelta(days=window), datetime.min.time())
        assert immature == (matures > reference)


def test_semantic_layer_manifest_validates(built_warehouse: Path) -> None:
    from dbt_semantic_interfaces.implementations.semantic_manifest import PydanticSemanticManifest
    from dbt_semantic_interfaces.validations.semantic_manifest_validator import SemanticManifestValidator

    with use_database(built_warehouse):
        run_dbt(["parse"], quiet=True)
    target = Path(os.environ.get("DBT_TARGET_PATH", "target"))
    path = (target if target.is_absolute() else PROJECT_ROOT / target) / "semantic_manifest.json"
    manifest = PydanticSemanticManifest.parse_obj(json.loads(path.read_text()))
    assert {"cost_per_mql", "mql_to_sql_rate", "share_within_sla"} <= {m.name for m in manifest.metrics}
    result = SemanticManifestValidator[PydanticSemanticManifest]().validate_semantic_manifest(manifest)
    assert not result.errors, [issue.message for issue in result.errors]


def test_summary_prints_the_funnel_table(built_warehouse: Path) -> None:
    with use_database(built_warehouse):
        result = CliRunner().invoke(app, ["summary"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Funnel by lead source channel" in result.output and TOTAL in result.output
