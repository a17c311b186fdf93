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

from scripts.report import funnel_queries, queries
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


def test_staging_fallbacks_agree_with_the_funnel_marts(built_warehouse: Path) -> None:
    """The queries used when the funnel/lifecycle marts are not built give the same figures where the definitions
    coincide (leads, opportunities, customers, speed-to-lead, spend)."""
    config = ReportConfig()
    with open_warehouse(built_warehouse) as warehouse:
        fallback_funnel = dict(funnel_queries.funnel_by_stage_from_staging(warehouse).rows)
        fallback_speed = funnel_queries.speed_to_lead_from_staging(warehouse, config)
        fallback_cost = funnel_queries.cost_per_mql_by_channel_from_staging(warehouse)
        fallback_monthly = funnel_queries.mqls_by_month_channel_from_staging(warehouse)
        assert fallback_funnel["Lead"] > 0 and not fallback_speed.is_empty and not fallback_monthly.is_empty
        assert list(fallback_funnel.values()) == sorted(fallback_funnel.values(), reverse=True)
        if warehouse.has("marts", "fct_funnel_lead_cohorts"):
            funnel = dict(funnel_queries.funnel_by_stage(warehouse).rows)
            assert [funnel[s] for s in ("Lead", "Opportunity", "Customer")] == [
                fallback_funnel[s] for s in ("Lead", "Opportunity", "Customer")]
        if warehouse.has("marts", "fct_mql_speed_to_lead"):
            assert funnel_queries.speed_to_lead(warehouse, config).rows == fallback_speed.rows
        if warehouse.has("marts", "fct_funnel_monthly"):
            spend = {row[0]: row[1] for row in funnel_queries.cost_per_mql_by_channel(warehouse).rows}
            assert spend == pytest.approx({row[0]: row[1] for row in fallback_cost.rows})


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
    (calibration / "threshold_sweep.csv").write_text(
        "period,mode,min_fit_grade,threshold,mqls,precision,base_rate\n"
        "training,fit_and_engagement,B,50,30,0.2,0.05\n"
        "training,fit_and_engagement,B,75,12,0.4,0.05\n"
        "training,fit_and_engagement,A,75,3,0.9,0.05\n"
        "holdout,fit_and_engagement,B,75,9,0.1,0.05\n"
        "training,combined,,100,50,0.3,0.05\n", encoding="utf-8")
    (calibration / "summary.json").write_text(json.dumps(
        {"recommended": {"setting": "B/75", "vars": {"mql_engagement_threshold": 75}}}), encoding="utf-8")
    report = build_report(built_warehouse, config=ReportConfig(), calibration_dir=calibration,
                          generated_at=GENERATED_AT)
    curve = next(section for section in report.sections if section.key == "threshold-curve")
    assert curve.state == "chart" and "threshold_sweep.csv" in curve.source
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
