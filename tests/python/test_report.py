"""`mql report` and `mql docs` opened in a real headless Chromium (Debian's `chromium`, driven by Playwright).

These tests fail, never skip, when Chromium is missing: CI installs it (`apt-get install -y chromium`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import BrowserContext, Page

from scripts.publish import publish
from scripts.report import funnel_queries, lookup, queries
from scripts.report.config import ReportConfig, load_config
from scripts.report.docs import generate_docs
from scripts.report.render import CHART_IDS, build_report, write_report
from scripts.report.warehouse import open_warehouse
from tests.python.browser import headless_chromium, open_page
from tests.python.helpers import use_database

GENERATED_AT = datetime(2026, 7, 1, 8, 0, tzinfo=UTC)
RENDER_TIMEOUT_MS = 30_000
PLOTLY_CHART_IDS = [element_id for element_id in CHART_IDS if element_id.startswith("chart-")]
DBT_DOCS_KNOWN_NOISE = (
    # dbt-docs' own templates: an <img src="{{ getIcon(...) }}"> fetched before Angular fills it in, and a favicon
    # path left as `${require(...)}` by its bundler. Broken image URLs, not script errors; nothing else is ignored.
    r"%7B%7B%20getIcon\(",
    r"\$%7Brequire\('\./assets/favicons/favicon\.ico'\)%7D",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserContext]:
    """One headless Chromium for the module (fails, not skips, when it is not installed)."""
    with headless_chromium() as context:
        yield context


def _wait_for_charts(page: Page, chart_ids: list[str]) -> None:
    """Wait until every listed Plotly chart has drawn its SVG."""
    selector = ", ".join(f"#{element_id}.js-plotly-plot .main-svg" for element_id in chart_ids)
    page.wait_for_function(
        "([selector, expected]) => new Set([...document.querySelectorAll(selector)]"
        ".map(svg => svg.closest('.js-plotly-plot').id)).size === expected",
        arg=[selector, len(chart_ids)], timeout=RENDER_TIMEOUT_MS,
    )


def _empty_copy(built: Path, database: Path) -> Path:
    """A warehouse with every staging, seed and mart relation of `built` but zero rows in each."""
    with duckdb.connect(str(database)) as connection:
        connection.execute(f"attach '{built}' as built (read_only)")
        relations = connection.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = 'built' and table_schema in ('staging', 'seeds', 'marts')"
        ).fetchall()
        for schema, name in relations:
            connection.execute(f'create schema if not exists "{schema}"')
            connection.execute(f'create table "{schema}"."{name}" as select * from built."{schema}"."{name}" limit 0')
        connection.execute("detach built")
    return database


def test_report_renders_every_chart_in_chromium(built_warehouse: Path, browser: BrowserContext,
                                                tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    report = write_report(built_warehouse, out, config=ReportConfig(), calibration_dir=None,
                          generated_at=GENERATED_AT)
    assert [section.element_id for section in report.sections] == list(CHART_IDS)
    assert not report.errors, [section.body for section in report.errors]
    assert not report.empty, [section.title for section in report.empty]
    html = out.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img)\b[^>]*\b(src|href)=", html)  # self-contained: everything inline
    quiet_lead, changes, rule_id, rule_label = _lead_that_never_qualified(built_warehouse)
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        leads = connection.execute("select count(*) from marts.dim_leads").fetchone()[0]

    with open_page(browser, out) as (page, log):
        _wait_for_charts(page, PLOTLY_CHART_IDS)
        for element_id in CHART_IDS:
            heading = page.locator(f"section[data-chart='{element_id}'] h2")
            assert heading.count() == 1 and heading.inner_text().strip(), f"{element_id} has no heading"
            assert page.locator(f"section[data-chart='{element_id}']").get_attribute("data-state") in (
                "chart", "table"), element_id

        # The lead lookup filters the newest-MQL table.
        rows = page.locator("#table-newest-mqls tbody tr")
        assert rows.count() > 0
        contact_id = rows.first.locator("td").nth(1).inner_text().strip()
        page.fill("input[data-filter='table-newest-mqls']", contact_id)
        visible = page.locator("#table-newest-mqls tbody tr:not([hidden])")
        assert 1 <= visible.count() < rows.count() or rows.count() == 1
        assert all(contact_id in text for text in visible.all_inner_texts())
        page.fill("input[data-filter='table-newest-mqls']", "")

        # The lead lookup finds any lead, here one that never qualified (so it is in no MQL table), with its score
        # timeline and the rules behind each change.
        page.fill(f"#{lookup.ELEMENT_ID}-input", quiet_lead)
        result = page.locator(f"#{lookup.ELEMENT_ID}-result")
        assert result.get_attribute("data-lead") == quiet_lead
        assert result.locator("tbody tr").count() == min(changes, queries.lookup_rows_per_lead(leads))
        assert f"{rule_id} {rule_label}" in result.inner_text()
        page.fill(f"#{lookup.ELEMENT_ID}-input", "no-such-lead")
        assert result.get_attribute("data-lead") is None and "No lead" in result.inner_text()

        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        assert (tmp_path / "report.png").stat().st_size > 10_000
        visible_text = page.inner_text("body")
        assert not log.problems, log.problems

    # No PII: no email address or name of any contact reaches the page.
    assert "@" not in visible_text
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        people = connection.execute(
            "select email, first_name || ' ' || last_name from staging.stg_crm__contacts "
            "where first_name is not null and last_name is not null limit 200"
        ).fetchall()
    assert people
    leaked = [value for row in people for value in row if value and value in html]
    assert not leaked, leaked[:5]


def _lead_that_never_qualified(database: Path) -> tuple[str, int, str, str]:
    """(contact id, score changes, a rule that moved its score last, that rule's label) of the never-qualified lead
    with the most score changes: counted here from the history mart's raw columns, not by the report's query."""
    with duckdb.connect(str(database), read_only=True) as connection:
        row = connection.execute("""
            with changes as (
                select history.contact_id, history.changed_rule_ids, history.scored_at
                from marts.fct_lead_score_history as history
                inner join marts.dim_leads as leads on history.contact_id = leads.contact_id
                where not leads.has_ever_been_mql
                    and (history.instant_kind in ('created', 'sales_decision')
                        or abs(coalesce(history.total_score_change, 0)) > 0
                        or abs(coalesce(history.fit_score_change, 0)) > 0
                        or abs(coalesce(history.engagement_score_change, 0)) > 0)
            )
            select contact_id, count(*), split_part(arg_max(changed_rule_ids, scored_at), ',', 1)
            from changes group by contact_id order by count(*) desc, contact_id limit 1
        """).fetchone()
        assert row is not None and row[2], "the fixture has a never-qualified lead whose score moved"
        label = connection.execute("select description from marts.dim_scoring_rules where rule_id = ?",
                                   [row[2]]).fetchone()
    return str(row[0]), int(row[1]), str(row[2]), str(label[0]).split(":", 1)[0]


def test_the_lookup_carries_fewer_changes_per_lead_when_there_are_many_leads() -> None:
    """A page for 10,000 or a million leads stays a file a browser opens: the per-lead timeline shrinks to the
    row budget, never below the minimum."""
    assert queries.lookup_rows_per_lead(300) == queries.LOOKUP_TIMELINE_ROWS
    assert queries.lookup_rows_per_lead(10_000) == queries.LOOKUP_ROW_BUDGET // 10_000
    assert queries.lookup_rows_per_lead(1_000_000) == queries.LOOKUP_MIN_ROWS


def test_empty_warehouse_shows_no_data_yet(built_warehouse: Path, browser: BrowserContext, tmp_path: Path) -> None:
    database = _empty_copy(built_warehouse, tmp_path / "empty.duckdb")
    out = tmp_path / "empty.html"
    report = write_report(database, out, config=ReportConfig(), calibration_dir=None, generated_at=GENERATED_AT)
    assert not report.errors, [section.body for section in report.errors]
    assert [section.element_id for section in report.empty] == list(CHART_IDS)

    with open_page(browser, out) as (page, log):
        page.wait_for_load_state("load")
        for element_id in CHART_IDS:
            card = page.locator(f"#{element_id}")
            assert card.get_attribute("data-state") == "empty", element_id
            assert "No data yet" in card.inner_text(), element_id
        assert page.locator(".js-plotly-plot").count() == 0
        page.screenshot(path=str(tmp_path / "empty.png"), full_page=True)
        assert not log.problems, log.problems

    # A warehouse file with nothing built says what to run, chart by chart, instead of failing.
    unbuilt = tmp_path / "unbuilt.duckdb"
    duckdb.connect(str(unbuilt)).close()
    bare = build_report(unbuilt, config=ReportConfig(), calibration_dir=None, generated_at=GENERATED_AT)
    assert not bare.errors and len(bare.empty) == len(CHART_IDS)
    assert all("mql build" in section.body for section in bare.empty)


def test_cli_report_command(built_warehouse: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from scripts.cli import app

    runner = CliRunner()
    out = tmp_path / "cli" / "report.html"
    with use_database(built_warehouse):
        result = runner.invoke(app, ["report", "--out", str(out), "--no-calibration"])
    assert result.exit_code == 0, result.output
    assert out.exists() and str(out) in result.output.replace("\n", "")
    with use_database(tmp_path / "missing.duckdb"):
        missing = runner.invoke(app, ["report", "--out", str(tmp_path / "x.html")])
    assert missing.exit_code == 1 and not (tmp_path / "x.html").exists()
    with use_database(built_warehouse):
        no_card = runner.invoke(app, ["report", "--out", str(tmp_path / "y.html"), "--learned", str(tmp_path)])
    assert no_card.exit_code == 1 and "no model_card.json" in " ".join(no_card.output.split())
    assert not (tmp_path / "y.html").exists()


def test_the_report_reads_the_serving_file_alone(built_warehouse: Path, tmp_path: Path) -> None:
    """The report needs only the published marts: on a serving file (no staging, no seeds, no bookkeeping
    columns) every card draws exactly what it draws from the build file, and the footer names the file and the
    publication. Before, "converted" and four fallbacks read staging, so the report had to hold the build file a
    refresh writes."""
    serving = tmp_path / "serving.duckdb"
    publish(built_warehouse, "r-report", serving, allowed=None)
    with duckdb.connect(str(serving), read_only=True) as connection:
        schemas = {schema for (schema,) in connection.execute(
            "select distinct schema_name from duckdb_tables() where database_name = current_database()").fetchall()}
    assert "staging" not in schemas and "seeds" not in schemas
    from_build = build_report(built_warehouse, config=ReportConfig(), calibration_dir=None,
                              generated_at=GENERATED_AT)
    from_serving = build_report(serving, config=ReportConfig(), calibration_dir=None, generated_at=GENERATED_AT)
    assert not from_serving.errors and not from_serving.empty, [s.title for s in from_serving.errors + from_serving.empty]
    assert [(s.key, s.state, s.body) for s in from_serving.sections] == [
        (s.key, s.state, s.body) for s in from_build.sections]
    assert "from the serving file" in from_serving.html and "refresh r-report" in from_serving.html
    assert "from the build file" in from_build.html


def test_the_threshold_chart_reads_the_overall_sweep_it_names(built_warehouse: Path, tmp_path: Path) -> None:
    """`mql calibrate` writes sweep.csv, then sweep_monthly.csv and by_channel.csv (breakdowns, newer files): the
    chart draws sweep.csv and says so. Before, the newest file with "sweep" in its name won: the monthly one."""
    calibration = tmp_path / "calibration"
    calibration.mkdir()
    header = "period,mode,min_fit_grade,threshold,mqls,precision,base_rate"
    (calibration / "sweep.csv").write_text(
        f"{header}\ntraining,fit_and_engagement,B,50,30,0.2,0.05\ntraining,fit_and_engagement,B,75,12,0.4,0.05\n",
        encoding="utf-8")
    (calibration / "sweep_monthly.csv").write_text(
        f"{header},month\ntraining,fit_and_engagement,B,50,3,0.9,0.05,2026-01-01\n", encoding="utf-8")
    (calibration / "by_channel.csv").write_text(
        f"{header},channel\ntraining,fit_and_engagement,B,60,2,0.8,0.05,paid\n", encoding="utf-8")
    report = build_report(built_warehouse, config=ReportConfig(), calibration_dir=calibration,
                          generated_at=GENERATED_AT)
    curve = next(section for section in report.sections if section.key == "threshold-curve")
    assert curve.state == "chart" and str(calibration / "sweep.csv") in curve.source
    assert '"x":[50.0,75.0]' in curve.body.replace(" ", "")


def test_the_report_counts_scored_and_crm_inferred_mqls_apart_and_they_reconcile(built_warehouse: Path) -> None:
    """One MQL count: the cards, the monthly chart and the marts agree. Scored MQL events per month by channel add
    up to fct_mql_events (the cards' "scored MQL events"); CRM-inferred entries are their own series and card.
    Before, the cards said 106 MQL events while the monthly chart mixed in the inferred ones and said 235."""
    with open_warehouse(built_warehouse) as warehouse:
        monthly = funnel_queries.mqls_by_month_channel(warehouse).records()
        overview = queries.overview(warehouse).records()[0]
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        events, inferred = connection.execute(
            "select (select count(*) from marts.fct_mql_events), "
            "(select sum(inferred_mqls) from marts.fct_funnel_monthly)").fetchone()
    scored = sum(r["mqls"] for r in monthly if r["channel"] != funnel_queries.INFERRED_SERIES)
    inferred_series = sum(r["mqls"] for r in monthly if r["channel"] == funnel_queries.INFERRED_SERIES)
    assert events > 0
    assert scored == events == overview["mql_events"]
    assert inferred_series == inferred == overview["inferred_mql_entries"]
    report = build_report(built_warehouse, config=ReportConfig(), calibration_dir=None, generated_at=GENERATED_AT)
    assert "scored MQL events" in report.html and "CRM-inferred MQL entries" in report.html


def test_threshold_comes_from_project_vars_and_build_overrides(tmp_path: Path) -> None:
    (tmp_path / "dbt_project.yml").write_text(
        "name: x\nvars:\n  qualification_mode: combined\n  mql_combined_threshold: 120\n"
        "  speed_to_lead_sla_buckets_minutes: [60, 5]\n", encoding="utf-8")
    target = tmp_path / "target"
    target.mkdir()
    config = load_config(tmp_path, target)
    assert (config.threshold, config.threshold_score_column, config.sla_buckets_minutes) == (
        120.0, "total_score", (5.0, 60.0))
    (target / "run_results.json").write_text(
        json.dumps({"args": {"which": "build", "vars": {"mql_combined_threshold": 90}}}), encoding="utf-8")
    assert load_config(tmp_path, target).threshold == 90.0


def test_calibration_output_feeds_the_threshold_curve(built_warehouse: Path, tmp_path: Path) -> None:
    calibration = tmp_path / "calibration"
    calibration.mkdir()
    # A sweep CSV with several modes, grades and periods (only training, fit_and_engagement, grade B is drawn)
    # and a summary JSON holding the recommendation as the var to set.
    (calibration / "sweep.csv").write_text(
        "period,mode,min_fit_grade,threshold,mqls,precision,base_rate\n"
        "training,fit_and_engagement,B,50,30,0.2,0.05\n"
        "training,fit_and_engagement,B,75,12,0.4,0.05\n"
        "training,fit_and_engagement,A,75,3,0.9,0.05\n"
        "holdout,fit_and_engagement,B,75,9,0.1,0.05\n"
        "training,combined,,100,50,0.3,0.05\n", encoding="utf-8")
    (calibration / "calibration.json").write_text(json.dumps(
        {"recommended": {"setting": "B/75", "vars": {"mql_engagement_threshold": 75}}}), encoding="utf-8")
    report = build_report(built_warehouse, config=ReportConfig(), calibration_dir=calibration,
                          generated_at=GENERATED_AT)
    curve = next(section for section in report.sections if section.key == "threshold-curve")
    assert curve.state == "chart" and "sweep.csv" in curve.source
    assert "recommended 75" in curve.body
    assert '"x":[50.0,75.0]' in curve.body.replace(" ", "")
    assert '"y":[30.0,12.0]' in curve.body.replace(" ", "")


def test_docs_page_loads_lineage_in_chromium(built_warehouse: Path, browser: BrowserContext,
                                             tmp_path: Path) -> None:
    with use_database(built_warehouse):
        page_path = generate_docs(tmp_path / "docs", target_path=tmp_path / "target")
    assert page_path == tmp_path / "docs" / "index.html"

    with open_page(browser, page_path) as (page, log):
        page.wait_for_selector("text=dim_leads", state="attached", timeout=RENDER_TIMEOUT_MS)
        assert page.title() == "dbt Docs"
        page.goto(f"{page_path.as_uri()}#!/model/model.mql_warehouse.dim_leads")
        page.wait_for_selector("text=Grain: one row per lead", timeout=RENDER_TIMEOUT_MS)
        page.click("[title='View Lineage Graph']")
        page.wait_for_selector("#cy canvas", state="attached", timeout=RENDER_TIMEOUT_MS)
        graph = page.wait_for_function(
            "() => { const scope = window.angular && angular.element(document.getElementById('cy')).scope();"
            " const elements = scope && scope.graph && scope.graph.elements;"
            " if (!elements || !elements.length) return null;"
            " return { count: elements.length,"
            "   edges: elements.filter(e => e.data && e.data.source && e.data.target).length,"
            "   text: JSON.stringify(elements.map(e => e.data && (e.data.unique_id || e.data.id))) }; }",
            timeout=RENDER_TIMEOUT_MS,
        ).json_value()
        page.screenshot(path=str(tmp_path / "docs.png"))
        problems = log.problems_except(*DBT_DOCS_KNOWN_NOISE)
    assert graph["edges"] > 0, graph
    assert "model.mql_warehouse.dim_leads" in graph["text"], graph["text"][:500]
    assert not problems, problems
