"""Plotly figures, one per chart, from the query results. A builder raises NoData (with a reason a reader
understands) when there is nothing meaningful to draw; the page then shows a "no data yet" card instead."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from scripts.report.calibration import ThresholdCurve
from scripts.report.config import ENGAGEMENT_BANDS, FIT_GRADES, ReportConfig, format_minutes
from scripts.report.warehouse import Table

CHART_HEIGHT = 380
PALETTE: tuple[str, ...] = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b",
                            "#9d755d", "#ff9da6", "#bab0ac", "#2f4b7c", "#a05195")
CONVERTED_COLOUR = "#2a9d8f"
NOT_CONVERTED_COLOUR = "#9aa5b1"
FAMILY_COLOURS: dict[str, str] = {"engagement": "#4c78a8", "fit": "#2a9d8f", "negative": "#e45756"}


class NoData(ValueError):
    """Nothing to draw yet; the message says why."""


def apply_layout(figure: go.Figure, **extra: Any) -> go.Figure:
    """Shared look; `extra` overrides the defaults (e.g. margins, height)."""
    layout: dict[str, Any] = {
        "template": "plotly_white",
        "height": CHART_HEIGHT,
        "margin": {"l": 60, "r": 30, "t": 20, "b": 50},
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0},
    }
    layout.update(extra)
    figure.update_layout(**layout)
    return figure


def count_axis(largest: float, **extra: Any) -> dict[str, Any]:
    """A y axis for counts: whole-number ticks when the counts are small (no "0.2 MQLs")."""
    axis: dict[str, Any] = {"rangemode": "tozero", **extra}
    if largest <= 5:
        axis.update({"dtick": 1, "range": [0, max(largest, 1) * 1.15]})
    return axis


def _shorten(text: str, limit: int = 36) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def funnel_figure(table: Table) -> go.Figure:
    """Funnel by stage as horizontal bars (first stage on top), each labelled with its count, the conversion from
    the previous stage and the share of all leads (bars stay readable when the first stage dwarfs the rest)."""
    stages, counts = table.column("stage"), table.column("leads")
    if not counts or counts[0] == 0:
        raise NoData("No leads in the warehouse yet: load contacts and run `mql build`.")
    labels = [f"{counts[0]:,}"] + [
        f"{counts[i]:,} · {_percent(counts[i], counts[i - 1])} of {stages[i - 1]} · {_percent(counts[i], counts[0])}"
        f" of leads" for i in range(1, len(counts))
    ]
    figure = go.Figure(go.Bar(
        x=counts, y=stages, orientation="h", text=labels, textposition="outside", cliponaxis=False,
        marker_color=PALETTE[: len(counts)],
        hovertemplate="%{y}: %{text}<extra></extra>",
    ))
    return apply_layout(figure, yaxis={"autorange": "reversed"},
                   xaxis={"title": "leads that reached the stage", "range": [0, counts[0] * 1.25]},
                   margin={"l": 100, "r": 30, "t": 20, "b": 50})


def funnel_summary(table: Table) -> str:
    """'Lead -> MQL 10.1% · MQL -> SQL 48.8% · ...' for the chart's caption."""
    stages, counts = table.column("stage"), table.column("leads")
    steps = [f"{stages[i - 1]} → {stages[i]} {_percent(counts[i], counts[i - 1])}" for i in range(1, len(stages))]
    return " · ".join(steps)


def _channel_colours(channels: Sequence[str]) -> dict[str, str]:
    return {channel: PALETTE[index % len(PALETTE)] for index, channel in enumerate(sorted(set(channels)))}


def mqls_by_month_figure(table: Table) -> go.Figure:
    """Stacked bars: MQLs per month, one colour per lead source channel."""
    if table.is_empty or not any(table.column("mqls")):
        raise NoData("No MQLs yet: no lead has crossed the threshold.")
    by_channel: dict[str, dict[Any, int]] = defaultdict(dict)
    for record in table.records():
        by_channel[str(record["channel"])][record["month"]] = int(record["mqls"])
    colours = _channel_colours(list(by_channel))
    figure = go.Figure([
        go.Bar(name=channel, x=list(values), y=list(values.values()), marker_color=colours[channel],
               hovertemplate=f"{channel}<br>%{{x|%b %Y}}: %{{y}} MQLs<extra></extra>")
        for channel, values in sorted(by_channel.items())
    ])
    monthly: dict[Any, int] = defaultdict(int)
    for values in by_channel.values():
        for month, count in values.items():
            monthly[month] += count
    return apply_layout(figure, barmode="stack", xaxis={"tickformat": "%b %Y"},
                   yaxis=count_axis(max(monthly.values()), title="MQLs"), margin={"l": 60, "r": 20, "t": 20, "b": 70})


def cost_per_mql_figure(table: Table) -> go.Figure:
    """Horizontal bars: spend per MQL by channel (channels with spend but no MQLs are listed in the caption)."""
    records = [record for record in table.records() if record["cost_per_mql"] is not None]
    if not records:
        raise NoData("No cost per MQL yet: it needs marketing spend and MQLs in the same channel.")
    records.sort(key=lambda record: record["cost_per_mql"], reverse=True)
    figure = go.Figure(go.Bar(
        x=[record["cost_per_mql"] for record in records],
        y=[record["channel"] for record in records],
        orientation="h",
        marker_color="#4c78a8",
        text=[f"${record['cost_per_mql']:,.0f}" for record in records],
        textposition="auto",
        customdata=[[record["spend_usd"], record["mqls"]] for record in records],
        hovertemplate="%{y}: $%{x:,.0f} per MQL<br>spend $%{customdata[0]:,.0f} / %{customdata[1]} MQLs"
                      "<extra></extra>",
    ))
    return apply_layout(figure, xaxis={"title": "spend per MQL (USD)", "tickprefix": "$"},
                   margin={"l": 140, "r": 30, "t": 20, "b": 50})


def cost_per_mql_note(table: Table) -> str:
    """Channels with spend but no MQLs (cost per MQL undefined), for the caption."""
    idle = [f"{record['channel']} (${record['spend_usd']:,.0f})" for record in table.records()
            if record["cost_per_mql"] is None]
    return f"Spend without MQLs: {', '.join(idle)}." if idle else ""


def score_distribution_figure(table: Table, config: ReportConfig) -> go.Figure:
    """Overlaid histograms (share of each group per score bin): converted vs not converted leads."""
    if table.is_empty:
        raise NoData("No scored leads yet: load contacts and events and run `mql build`.")
    groups: dict[bool, dict[float, int]] = {True: {}, False: {}}
    width = float(table.rows[0][table.columns.index("bin_width")])
    for record in table.records():
        groups[bool(record["is_converted"])][float(record["bin_start"])] = int(record["leads"])
    figure = go.Figure()
    for converted, name, colour in ((False, "not converted", NOT_CONVERTED_COLOUR),
                                    (True, "converted (has an opportunity)", CONVERTED_COLOUR)):
        bins = groups[converted]
        total = sum(bins.values())
        if not total:
            continue
        figure.add_trace(go.Bar(
            name=f"{name} · {total:,} leads", x=[start + width / 2 for start in bins], width=width,
            y=[100 * count / total for count in bins.values()], customdata=list(bins.values()),
            marker={"color": colour, "line": {"width": 0}}, opacity=0.65,
            hovertemplate="score %{x}: %{customdata} leads (%{y:.1f}% of group)<extra></extra>",
        ))
    figure.add_vline(x=config.threshold, line={"color": "#333", "dash": "dash"},
                     annotation_text=f"MQL threshold {config.threshold:g}", annotation_position="top right")
    return apply_layout(figure, barmode="overlay", bargap=0,
                   xaxis={"title": config.threshold_label.split(" (")[0]},
                   yaxis={"title": "share of group's leads (%)"})


def has_conversions(curve: ThresholdCurve) -> bool:
    """False when no lead has converted at all (computed curve with a zero base rate): precision is meaningless."""
    base_rates = [record["base_rate"] for record in curve.table.records() if record["base_rate"] is not None]
    return not base_rates or base_rates[0] > 0


def score_distribution_note(table: Table) -> str:
    """Caption: how to read the overlay, or that one group is still empty."""
    groups = {bool(value) for value in table.column("is_converted")} if not table.is_empty else set()
    if groups == {False}:
        return "No lead has an opportunity yet: the converted group appears once one does."
    if groups == {True}:
        return "Every lead has an opportunity: there is no not-converted group to compare with."
    return "Each group sums to 100%, so small groups compare with large ones."


def threshold_curve_figure(curve: ThresholdCurve, config: ReportConfig) -> go.Figure:
    """MQL volume (left axis) and conversion precision (right axis) against the threshold; the configured threshold
    (and a calibrated recommendation, when there is one) marked."""
    records = curve.table.records()
    if not records or not any(record["mql_volume"] for record in records):
        raise NoData("No lead has reached a qualifying score yet, so there is no threshold trade-off to show.")
    thresholds = [record["threshold"] for record in records]
    figure = go.Figure()
    figure.add_trace(go.Scatter(
        name="MQL volume (leads)", x=thresholds, y=[record["mql_volume"] for record in records],
        mode="lines", line={"color": "#4c78a8", "width": 3}, line_shape="hv",
        hovertemplate="threshold %{x}: %{y:,} MQLs<extra></extra>",
    ))
    if not has_conversions(curve):
        figure.add_vline(x=config.threshold, line={"color": "#333", "dash": "dash"},
                         annotation_text=f"configured {config.threshold:g}", annotation_position="top right")
        return apply_layout(figure, xaxis={"title": f"threshold on {config.threshold_label}"},
                       yaxis=count_axis(max(record["mql_volume"] for record in records), title="MQL volume"))
    figure.add_trace(go.Scatter(
        name="precision (MQLs that became opportunities)", x=thresholds, yaxis="y2",
        y=[None if record["precision"] is None else 100 * record["precision"] for record in records],
        mode="lines", line={"color": CONVERTED_COLOUR, "width": 3}, line_shape="hv",
        hovertemplate="threshold %{x}: %{y:.1f}% convert<extra></extra>",
    ))
    base_rates = [record["base_rate"] for record in records if record["base_rate"] is not None]
    if base_rates:
        figure.add_trace(go.Scatter(
            name="all leads' conversion", x=[thresholds[0], thresholds[-1]], yaxis="y2",
            y=[100 * base_rates[0]] * 2, mode="lines", line={"color": "#888", "dash": "dot"},
            hovertemplate="base rate %{y:.1f}%<extra></extra>",
        ))
    figure.add_vline(x=config.threshold, line={"color": "#333", "dash": "dash"},
                     annotation_text=f"configured {config.threshold:g}", annotation_position="top right")
    if curve.recommended is not None:
        figure.add_vline(x=curve.recommended, line={"color": "#f58518", "dash": "dot"},
                         annotation_text=f"recommended {curve.recommended:g}", annotation_position="top left")
    return apply_layout(figure, xaxis={"title": f"threshold on {config.threshold_label}"},
                   yaxis={"title": "MQL volume", "rangemode": "tozero"},
                   yaxis2={"title": "precision (%)", "overlaying": "y", "side": "right", "rangemode": "tozero"},
                   margin={"l": 60, "r": 60, "t": 20, "b": 50})


def speed_to_lead_figure(table: Table, config: ReportConfig) -> go.Figure:
    """MQL events per speed-to-lead bucket; buckets within the SLA target green, later ones amber/red."""
    total = sum(table.column("mql_events"))
    if not total:
        raise NoData("No MQL events yet, so no speed-to-lead to measure.")
    labels = table.column("bucket")
    bounds = sorted(config.sla_buckets_minutes)
    colours = ["#54a24b" if bound <= config.sla_target_minutes else "#f2a541" for bound in bounds]
    colours += ["#e45756", "#9aa5b1"]
    counts = table.column("mql_events")
    figure = go.Figure(go.Bar(
        x=labels, y=counts, marker_color=colours[: len(labels)],
        text=[_percent(count, total) for count in counts], textposition="outside",
        hovertemplate="%{x}: %{y} MQL events (%{text})<extra></extra>",
    ))
    return apply_layout(figure, xaxis={"title": "time from MQL to first sales touch"},
                   yaxis=count_axis(max(counts), title="MQL events"))


def speed_to_lead_summary(table: Table, config: ReportConfig) -> str:
    """'7 of 89 MQL events (7.9%) touched within the 1 h SLA; 33 never touched.'"""
    total = sum(table.column("mql_events"))
    within = sum(table.column("within_target"))
    never = table.column("mql_events")[-1] if table.rows else 0
    return (f"{within:,} of {total:,} MQL events ({_percent(within, total)}) touched within the "
            f"{format_minutes(config.sla_target_minutes)} SLA; {never:,} never touched.")


def top_rules_figure(table: Table) -> go.Figure:
    """Horizontal bars: points each rule adds over all leads (largest on top), coloured by score family."""
    if table.is_empty:
        raise NoData("No scoring rule has added points yet: load events and run `mql build`.")
    records = list(reversed(table.records()))
    labels = [f"{record['rule_id']} · {_shorten(str(record['description'] or '').split(':')[0])}".rstrip(" ·")
              for record in records]
    figure = go.Figure(go.Bar(
        x=[record["points"] for record in records], y=labels, orientation="h",
        marker_color=[FAMILY_COLOURS.get(str(record["score_family"]), "#888") for record in records],
        customdata=[[record["score_family"], record["leads"]] for record in records],
        hovertemplate="%{y}<br>%{x:,.0f} points over %{customdata[1]:,} leads (%{customdata[0]})<extra></extra>",
    ))
    return apply_layout(figure, height=max(CHART_HEIGHT, 28 * len(records) + 80),
                   xaxis={"title": "points contributed (all leads, now)"},
                   margin={"l": 260, "r": 30, "t": 20, "b": 50})


def grade_matrix_figure(table: Table) -> go.Figure:
    """Heatmap of the A1-D4 matrix: colour = conversion to opportunity, text = leads, MQLs and conversion."""
    if table.is_empty or not sum(table.column("leads")):
        raise NoData("No graded leads yet: load contacts and run `mql build`.")
    cells = {(record["fit_grade"], int(record["engagement_band"])): record for record in table.records()
             if record["engagement_band"] is not None}
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    for grade in FIT_GRADES:
        z_row: list[float | None] = []
        text_row: list[str] = []
        for band in ENGAGEMENT_BANDS:
            record = cells.get((grade, band))
            leads = int(record["leads"]) if record else 0
            converted = int(record["converted_leads"]) if record else 0
            mqls = int(record["mql_leads"]) if record else 0
            z_row.append(100 * converted / leads if leads else None)
            text_row.append(f"<b>{grade}{band}</b><br>{leads:,} leads · {mqls:,} MQL<br>"
                            f"{_percent(converted, leads)} conv." if leads else f"<b>{grade}{band}</b><br>no leads")
        z.append(z_row)
        text.append(text_row)
    highest = max((value for row in z for value in row if value is not None), default=0.0)
    figure = go.Figure(go.Heatmap(
        z=z, x=[f"band {band}" for band in ENGAGEMENT_BANDS], y=[f"grade {grade}" for grade in FIT_GRADES],
        text=text, texttemplate="%{text}", colorscale="Blues", zmin=0, zmax=max(highest, 1.0), xgap=3, ygap=3,
        colorbar={"title": {"text": "conv. %"}},
        hovertemplate="%{text}<extra></extra>",
    ))
    return apply_layout(figure, yaxis={"autorange": "reversed"},
                   xaxis={"side": "top", "title": "engagement band (1 = most engaged)"},
                   margin={"l": 70, "r": 30, "t": 60, "b": 20})
