"""Assemble the report: run each chart's query, draw it (or its "no data yet" state), write one HTML file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from scripts.report import charts, funnel_queries, lookup, model_card, queries
from scripts.report.calibration import CALIBRATION_DIR, ThresholdCurve, load_threshold_curve
from scripts.report.config import ReportConfig, load_config
from scripts.report.template import Kpi, Section, SectionState, empty_body, render_page, table_body
from scripts.report.warehouse import MissingData, Table, Warehouse, open_warehouse

PLOTLY_CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True,
                                 "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
NEWEST_MQL_COLUMNS: dict[str, str] = {
    "qualified_at": "qualified (UTC)", "contact_id": "lead", "mql_sequence": "#", "channel": "channel",
    "qualification_type": "how", "grade_cell": "grade", "fit_score": "fit", "engagement_score": "engagement",
    "trigger_event_type": "trigger event", "trigger_rule_id": "trigger rule", "top_rules": "top rules now (points)",
}

Query = Callable[[Warehouse, ReportConfig, Path | None], Any]
Draw = Callable[[Any, ReportConfig, str], tuple[str, str]]


@dataclass(frozen=True)
class ChartSpec:
    """A card of the report: where its data comes from and how it is drawn."""

    key: str
    element_id: str
    title: str
    what: str
    query: Query
    draw: Draw
    wide: bool = False


def figure_html(figure: go.Figure, element_id: str) -> str:
    """The figure as a div with that id plus the script that draws it (Plotly's JS is in the page head)."""
    height = figure.layout.height or charts.CHART_HEIGHT
    return str(pio.to_html(figure, full_html=False, include_plotlyjs=False, div_id=element_id,
                           config=PLOTLY_CONFIG, default_height=f"{height}px", validate=False))


def _draw_funnel(table: Table, config: ReportConfig, element_id: str) -> tuple[str, str]:
    return figure_html(charts.funnel_figure(table), element_id), charts.funnel_summary(table)


def _draw_mqls_by_month(table: Table, config: ReportConfig, element_id: str) -> tuple[str, str]:
    return figure_html(charts.mqls_by_month_figure(table), element_id), ""


def _draw_cost(table: Table, config: ReportConfig, element_id: str) -> tuple[str, str]:
    return figure_html(charts.cost_per_mql_figure(table), element_id), charts.cost_per_mql_note(table)


def _draw_scores(table: Table, config: ReportConfig, element_id: str) -> tuple[str, str]:
    figure = charts.score_distribution_figure(table, config)
    return figure_html(figure, element_id), charts.score_distribution_note(table)


def _draw_threshold(curve: ThresholdCurve, config: ReportConfig, element_id: str) -> tuple[str, str]:
    caption = ("Volume: leads that would be MQLs at the threshold (the warehouse's MQL definition, fast-track "
               "hand-raisers included); precision: the share of them that became an opportunity's primary contact.")
    if not charts.has_conversions(curve):
        caption = ("Volume: leads that would be MQLs at the threshold (the warehouse's MQL definition, fast-track "
                   "hand-raisers included). No lead has an opportunity yet, so precision is not drawn.")
    return figure_html(charts.threshold_curve_figure(curve, config), element_id), caption


def _draw_speed(table: Table, config: ReportConfig, element_id: str) -> tuple[str, str]:
    figure = charts.speed_to_lead_figure(table, config)
    return figure_html(figure, element_id), charts.speed_to_lead_summary(table, config)


def _draw_rules(table: Table, config: ReportConfig, element_id: str) -> tuple[str, str]:
    return figure_html(charts.top_rules_figure(table), element_id), "Negative rules (red) subtract points."


def _draw_matrix(table: Table, config: ReportConfig, element_id: str) -> tuple[str, str]:
    return figure_html(charts.grade_matrix_figure(table), element_id), ""


def _draw_newest(table: Table, config: ReportConfig, element_id: str) -> tuple[str, str]:
    if table.is_empty:
        raise charts.NoData("No MQLs yet: the newest qualified leads and their reasons will be listed here.")
    caption = ("Scores and grade at the moment of qualification; top rules are the lead's largest contributions "
               "at the reference time. Ids only: no names or emails.")
    return table_body(element_id, table, NEWEST_MQL_COLUMNS), caption


def _draw_lookup(data: lookup.LeadLookup, config: ReportConfig, element_id: str) -> tuple[str, str]:
    if data.leads.is_empty:
        raise charts.NoData("No leads yet: once there are, any lead's score timeline can be looked up here.")
    caption = (f"Up to the {data.rows_per_lead} newest score changes per lead (fewer per lead when there are many "
               "leads, so the page stays small): creation, each event or fit change that moved a score, sales "
               "decisions. Ids only: no names or emails.")
    return lookup.body(data), caption


CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec("funnel", "chart-funnel", "Funnel by stage",
              "Leads that reached each stage, with conversion from the previous stage and from all leads.",
              lambda w, c, _: funnel_queries.funnel_by_stage(w), _draw_funnel),
    ChartSpec("mqls-by-month", "chart-mqls-by-month", "MQLs per month by channel",
              "MQLs by the month they qualified, stacked by the lead's source channel.",
              lambda w, c, _: funnel_queries.mqls_by_month_channel(w), _draw_mqls_by_month),
    ChartSpec("cost-per-mql", "chart-cost-per-mql", "Cost per MQL by channel",
              "Marketing spend divided by the MQLs of leads from the same channel, over the whole period.",
              lambda w, c, _: funnel_queries.cost_per_mql_by_channel(w), _draw_cost),
    ChartSpec("score-distribution", "chart-score-distribution", "Score distribution: converted vs not converted",
              "Current qualifying score of leads that became an opportunity's primary contact and of the rest.",
              lambda w, c, _: queries.score_distribution(w, c), _draw_scores),
    ChartSpec("threshold-curve", "chart-threshold-curve", "Threshold curve",
              "How many leads a threshold would qualify and how many of them convert; the configured threshold "
              "is marked.", lambda w, c, d: load_threshold_curve(w, c, d), _draw_threshold),
    ChartSpec("speed-to-lead", "chart-speed-to-lead", "Speed-to-lead against the SLA",
              "Time from each MQL to the first sales activity after it.",
              lambda w, c, _: funnel_queries.speed_to_lead(w, c), _draw_speed),
    ChartSpec("top-rules", "chart-top-rules", "Top rules by contribution",
              "Scoring rules ranked by the points they add across all leads now.",
              lambda w, c, _: queries.top_rules(w), _draw_rules),
    ChartSpec("grade-matrix", "chart-grade-matrix", "Grade matrix A1–D4",
              "Leads per fit grade and engagement band, coloured by conversion to opportunity.",
              lambda w, c, _: queries.grade_matrix(w), _draw_matrix),
    ChartSpec("newest-mqls", "table-newest-mqls", "Newest MQLs and why they qualified",
              "The latest MQL events with what triggered them and the rules that contribute most.",
              lambda w, c, _: queries.newest_mqls(w), _draw_newest, wide=True),
    ChartSpec("lead-lookup", lookup.ELEMENT_ID, lookup.TITLE, lookup.WHAT,
              lambda w, c, _: lookup.lead_lookup(w), _draw_lookup, wide=True),
)
CHART_IDS: tuple[str, ...] = tuple(spec.element_id for spec in CHARTS)
"""Element ids of every chart (or table) on the page, in page order."""


@dataclass(frozen=True)
class Report:
    """The rendered page and its sections (to check which charts drew and which are empty)."""

    html: str
    sections: list[Section]

    @property
    def errors(self) -> list[Section]:
        """Sections whose query or drawing failed (a bug or a warehouse out of step with the code)."""
        return [section for section in self.sections if section.state == "error"]

    @property
    def empty(self) -> list[Section]:
        """Sections showing the "no data yet" state."""
        return [section for section in self.sections if section.state == "empty"]


def _source(data: Any) -> str:
    if isinstance(data, ThresholdCurve):
        return data.table.source
    return data.source if isinstance(data, Table | lookup.LeadLookup) else ""


def build_section(spec: ChartSpec, warehouse: Warehouse, config: ReportConfig,
                  calibration_dir: Path | None) -> Section:
    """Query and draw one card; missing relations and empty data become the "no data yet" state."""
    def section(state: SectionState, body: str, caption: str = "", source: str = "") -> Section:
        return Section(spec.key, spec.element_id, spec.title, spec.what, state, body, caption, source, spec.wide)

    try:
        data = spec.query(warehouse, config, calibration_dir)
    except MissingData as missing:
        return section("empty", empty_body(spec.element_id, str(missing)))
    except duckdb.Error as error:
        return section("error", empty_body(spec.element_id, f"{type(error).__name__}: {error}", error=True))
    try:
        body, caption = spec.draw(data, config, spec.element_id)
    except charts.NoData as nothing:
        return section("empty", empty_body(spec.element_id, str(nothing)), source=_source(data))
    return section("table" if spec.element_id.startswith("table-") else "chart", body, caption, _source(data))


def model_card_section(folder: Path | None) -> Section | None:
    """The learned rubric's model card (from `mql learn`'s output folder), or None when there is none."""
    try:
        card = model_card.read_model_card(folder)
    except model_card.CardError as error:
        return Section("model-card", model_card.ELEMENT_ID, model_card.TITLE, model_card.WHAT, "error",
                       empty_body(model_card.ELEMENT_ID, str(error), error=True), wide=True)
    if card is None or folder is None:
        return None
    try:
        figure = figure_html(model_card.reliability_figure(card), model_card.ELEMENT_ID)
    except charts.NoData as nothing:
        figure = empty_body(model_card.ELEMENT_ID, str(nothing))
    body = model_card.models_table(card) + figure + model_card.terms_table(card)
    return Section("model-card", model_card.ELEMENT_ID, model_card.TITLE, model_card.WHAT, "chart", body,
                   model_card.caption(card), str(folder / model_card.CARD_FILE), wide=True)


def _kpis(warehouse: Warehouse) -> tuple[list[Kpi], str]:
    """Headline numbers and a line on the scores' reference time (blank values when the marts are not built)."""
    try:
        row = queries.overview(warehouse).records()[0]
    except (MissingData, duckdb.Error):
        return [Kpi("leads", "–")], "Warehouse not built yet"
    leads, converted = int(row["leads"]), int(row["converted_leads"])
    kpis = [
        Kpi("leads", f"{leads:,}"),
        Kpi("leads that became MQL (scored)", f"{int(row['mql_leads']):,}"),
        Kpi("scored MQL events", f"{int(row['mql_events']):,}"),
        *([Kpi("CRM-inferred MQL entries", f"{int(row['inferred_mql_entries']):,}")]
          if row.get("inferred_mql_entries") is not None else []),
        Kpi("lead → opportunity", f"{100 * converted / leads:.1f}%" if leads else "–"),
    ]
    scored_at = row["scored_at"]
    if not isinstance(scored_at, datetime):
        return kpis, "No scored leads yet"
    return kpis, f"Scores as of {scored_at:%Y-%m-%d %H:%M} UTC"


def _read_from(warehouse: Warehouse, database: Path) -> str:
    """Which file the report read and, for a serving file, which publication (`scripts.publish`)."""
    if not warehouse.has("main", "_publication", ("run_id", "published_at")):
        return f"the build file {database}"
    row = warehouse.query("select any_value(run_id), max(published_at) from main._publication", source="").rows[0]
    published = f"{row[1]:%Y-%m-%d %H:%M} UTC" if isinstance(row[1], datetime) else "unknown time"
    return f"the serving file {database} (refresh {row[0]}, published {published})"


def build_report(database: Path, *, config: ReportConfig | None = None,
                 calibration_dir: Path | None = CALIBRATION_DIR, learned_dir: Path | None = None,
                 generated_at: datetime | None = None) -> Report:
    """Render the report from the warehouse at `database` (opened read-only); with `learned_dir`, a `mql learn`
    output folder, the model card it holds is a section of its own."""
    config = config or load_config()
    generated = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    with open_warehouse(database) as warehouse:
        sections = [build_section(spec, warehouse, config, calibration_dir) for spec in CHARTS]
        kpis, as_of = _kpis(warehouse)
        read_from = _read_from(warehouse, database)
    card = model_card_section(learned_dir)
    if card is not None:
        sections.append(card)
    html = render_page(
        title="MQL report",
        subtitle=f"{as_of} · {config.describe()} · generated {generated}",
        kpis=kpis, sections=sections, plotly_js=get_plotlyjs(),
        footer=f"Generated by `mql report` from {read_from} (thresholds from {config.source}). "
               "Lead ids only: no names or email addresses. Charts: Plotly, embedded (works offline).",
    )
    return Report(html, sections)


def write_report(database: Path, out: Path, **options: Any) -> Report:
    """Render the report and write it to `out` (parent folders created)."""
    report = build_report(database, **options)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.html, encoding="utf-8")
    return report
