"""The benchmark keeps working: at a tiny size, the lower-bound query and the pandas implementation agree with the
build on every event's score and every lead's first MQL instant (correctness only; times are not asserted)."""

from __future__ import annotations

import json
from pathlib import Path

from scripts.bench.harness import markdown_row, run_benchmark, update_benchmarks_md


def test_tiny_benchmark_agrees_with_the_build(tmp_path: Path) -> None:
    result = run_benchmark(contacts=150, events_per_contact=15.0, out=tmp_path / "bench", with_pandas=True)
    assert result.checks["scores_equal"] is True, result.checks
    assert result.checks["first_mql_equal"] is True, result.checks
    assert result.checks["pandas_scores_equal"] is True, result.checks
    assert result.checks["scored_events"] > 500
    assert result.checks["first_mql_contacts"] > 0
    assert set(result.steps) == {"generate", "full_refresh", "new_events", "incremental_refresh", "dbt_run", "lower_bound",
                                 "pandas"}
    assert all(step.seconds > 0 and step.peak_rss_mib > 10 for step in result.steps.values())
    assert "int_contact_score_history" in result.model_seconds
    assert set(result.refresh_phase_seconds) == {"load", "build", "freshness", "publish"}, result.refresh_phase_seconds
    written = json.loads((tmp_path / "bench" / "bench.json").read_text(encoding="utf-8"))
    assert written["contacts"] == 150
    markdown = tmp_path / "BENCHMARKS.md"
    update_benchmarks_md(result, markdown)
    update_benchmarks_md(result, markdown)  # the row for a size is replaced, not repeated
    assert markdown.read_text(encoding="utf-8").count(markdown_row(result)) == 1


# The oracles' rubric semantics, on hand-made events (no dbt): every condition operator, quantities and event
# properties. Each event has its own contact, so its engagement score is its own points (no decay or window here).
RULES_CSV = """rule_id,score_family,event_type,condition_field,condition_operator,condition_value,points,quantity_field,quantity_unit,max_points,max_per_day,window_days,half_life_days,is_fast_track,description
T1,engagement,page_view,page_category,in,pricing| docs,10,,,,,,,false,
T2,engagement,page_view,page_category,not in,pricing|blog,1,,,,,,,false,
T3,engagement,form_submit,asset_name,contains,DEMO,5,,,,,,,false,
T4,engagement,page_view,duration_seconds,>=,120,3,,,,,,,false,
T5,engagement,page_view,,,,1,duration_seconds,60,10,,,,false,
T6,engagement,page_view,properties.visits,>,2,4,,,,,,,false,
T7,engagement,page_view,,,,2,properties.visits,,,,,,false,
T8,engagement,form_submit,properties.plan,!=,free,7,,,,,,,false,
T9,engagement,form_submit,properties.plan,,Pro,2,,,,,,,false,
"""
SITE = "https://www.example.com"
# event type, url, asset_name, duration_seconds, properties, expected points (None: matches no rule)
ORACLE_EVENTS = [
    ("page_view", f"{SITE}/pricing", None, None, None, 10),  # T1
    ("page_view", f"{SITE}/docs/start", None, "150", None, 16),  # T1, T2, T4, T5 (2 whole minutes)
    ("page_view", f"{SITE}/blog/post", None, " 59.5 ", None, 1),  # 59.5 rounds to 60 s: T5
    ("page_view", None, None, "-5", None, None),  # no page (null category), negative duration: nothing
    ("page_view", f"{SITE}/", None, None, '{"visits": 3}', 11),  # T2, T6, T7 (3 visits)
    ("page_view", f"{SITE}/", None, None, '{"visits": "2.9"}', 9),  # a number as text: T2, T6, T7 (2 whole)
    ("page_view", f"{SITE}/", None, None, '{"visits": 0.5}', 1),  # below one unit: T2 only
    ("page_view", f"{SITE}/", None, None, '[{"visits": 5}]', 1),  # not an object
    ("page_view", f"{SITE}/", None, None, "{bad json", 1),
    ("page_view", f"{SITE}/", None, None, '{"visits": "many"}', 1),  # not a number
    ("page_view", f"{SITE}/", None, None, '{"visits": 4, "visits": 9}', 13),  # the first key wins: T2, T6, T7
    ("page_view", f"{SITE}/", None, "1200", None, 14),  # T2, T4, T5 capped at 10
    ("form_submit", None, "Book a Demo", None, '{"plan": "Pro"}', 14),  # T3 (any case), T8, T9
    ("form_submit", None, "demo", None, '{"plan": "free"}', 5),  # T3
    ("form_submit", None, "Whitepaper", None, None, None),  # no plan: != does not match a missing value
    ("form_submit", None, None, None, '{"plan": "pro"}', 7),  # T8; = is case-sensitive
]


def _oracle_fixture(tmp_path: Path) -> tuple[Path, Path]:
    """The events as a raw file and a DuckDB with what the lower bound reads (raw events, mapping seeds, fit
    versions and creation times: fit 30 for contacts C13 and C14, 10 for the others; C13 created at its event)."""
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    from scripts.bench.pandas_impl import SEEDS

    rows = [{"event_id": f"E{n:02d}", "contact_id": f"C{n:02d}", "event_type": event_type,
             "occurred_at": f"2026-01-{n:02d} 10:00:00", "url": url, "campaign_id": None, "asset_name": asset,
             "duration_seconds": duration, "properties": properties}
            for n, (event_type, url, asset, duration, properties, _) in enumerate(ORACLE_EVENTS, start=1)]
    data = tmp_path / "data"
    data.mkdir()
    pq.write_table(pa.Table.from_pylist(rows, pa.schema([(name, pa.string()) for name in rows[0]])),
                   data / "events.parquet")
    database = tmp_path / "oracle.duckdb"
    with duckdb.connect(str(database)) as connection:
        connection.execute("create schema raw; create schema seeds; create schema intermediate")
        connection.execute(f"create table raw.events as select * from read_parquet('{data / 'events.parquet'}')")
        for seed in ("event_type_map", "page_categories"):
            connection.execute(f"create table seeds.{seed} as select * from read_csv('{SEEDS / seed}.csv', "
                               "all_varchar = true)")
        connection.execute("create table intermediate.int_contact_fit_scored as select 'C' || lpad(n::varchar, 2, '0') "
                           "as contact_id, 1 as version_number, case when n in (13, 14) then 30.0 else 10.0 end "
                           f"as fit_points, null::timestamp as valid_from from range(1, {len(rows) + 1}) as r(n)")
        connection.execute("create table intermediate.int_contact_attributes as select contact_id, version_number, "
                           "case when contact_id = 'C13' then timestamp '2026-01-13 10:00:00' "
                           "else timestamp '2025-12-01' end as created_at from intermediate.int_contact_fit_scored")
    return data, database


def test_oracles_implement_every_condition_operator(tmp_path: Path) -> None:
    import duckdb

    from scripts.bench.lower_bound import lower_bound_sql
    from scripts.bench.pandas_impl import engagement_scores
    from scripts.bench.rules import read_rules

    (tmp_path / "rules.csv").write_text(RULES_CSV, encoding="utf-8")
    rules = read_rules(tmp_path / "rules.csv")
    data, database = _oracle_fixture(tmp_path)
    expected = {f"E{n:02d}": float(points) for n, (*_, points) in enumerate(ORACLE_EVENTS, start=1)
                if points is not None}
    combined = {"mode": "combined", "min_fit": 40.0, "engagement_threshold": 10.0, "combined_threshold": 20.0,
                "fast_track_enabled": True, "fast_track_min_fit": 20.0}
    with duckdb.connect(str(database)) as connection:
        def candidates(settings: dict[str, object]) -> set[str]:
            result = connection.execute(lower_bound_sql(rules, settings)).fetchall()
            assert {event_id: score for _, event_id, _, score, _ in result} == expected
            return {event_id for _, event_id, _, _, is_candidate in result if is_candidate}

        # fit + engagement >= 20: the fit-10 contacts with at least 10 points cross at their event; C14 (fit 30) met
        # it before its event, and so would C13, but its event is its first instant (it was created then)
        assert candidates(combined) == {"E01", "E02", "E05", "E11", "E12", "E13"}
        # fit >= 20 and engagement >= 10: only C13 (fit 30, 14 points); C14 has 5 points
        assert candidates(dict(combined, mode="fit_and_engagement", min_fit=20.0)) == {"E13"}
    assert engagement_scores(data, rules).to_dict() == expected
