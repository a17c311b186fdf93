"""The HTML page: one self-contained file (CSS, Plotly's JavaScript and the data inline; nothing fetched)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any, Literal

from scripts.report.warehouse import Table

SectionState = Literal["chart", "table", "empty", "error"]

STYLE = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --card: #fff; --bg: #f5f7fa; --accent: #4c78a8; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       background: var(--bg); }
header { padding: 24px 32px 8px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header p { margin: 0; color: var(--muted); }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; padding: 12px 32px; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 150px; }
.kpi .value { font-size: 22px; font-weight: 600; }
.kpi .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; padding: 12px 32px 32px; }
section.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px;
               min-width: 0; }
section.card.wide { grid-column: 1 / -1; }
section.card h2 { margin: 0 0 2px; font-size: 16px; }
section.card .what { margin: 0 0 8px; color: var(--muted); }
section.card .caption { margin: 8px 0 0; font-size: 12px; color: var(--muted); }
section.card .source { margin: 4px 0 0; font-size: 11px; color: #9aa5b1; }
.no-data { display: flex; flex-direction: column; align-items: center; justify-content: center; min-height: 220px;
           border: 2px dashed var(--line); border-radius: 8px; color: var(--muted); text-align: center; padding: 16px; }
.no-data strong { font-size: 16px; color: var(--ink); margin-bottom: 4px; }
.no-data.error strong { color: #c81e1e; }
.lookup { margin: 0 0 8px; padding: 6px 10px; width: 100%; max-width: 420px; border: 1px solid var(--line);
          border-radius: 6px; font: inherit; }
.table-wrap { max-height: 480px; overflow: auto; border: 1px solid var(--line); border-radius: 6px; }
table.mqls { border-collapse: collapse; width: 100%; font-size: 12.5px; }
table.mqls th { position: sticky; top: 0; background: #f0f4f8; text-align: left; }
table.mqls th, table.mqls td { padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.mqls td.num { text-align: right; font-variant-numeric: tabular-nums; }
footer { padding: 0 32px 24px; color: var(--muted); font-size: 12px; }
"""

LOOKUP_SCRIPT = """
document.querySelectorAll("input[data-filter]").forEach(function (input) {
  var table = document.getElementById(input.getAttribute("data-filter"));
  var counter = document.getElementById(input.getAttribute("data-filter") + "-count");
  input.addEventListener("input", function () {
    var needle = input.value.trim().toLowerCase(), shown = 0;
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var match = !needle || row.textContent.toLowerCase().indexOf(needle) !== -1;
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    if (counter) { counter.textContent = shown; }
  });
});
"""


@dataclass(frozen=True)
class Section:
    """One card of the report: a chart, a table, or a "no data yet" (or error) state in its place."""

    key: str
    element_id: str
    title: str
    what: str
    state: SectionState
    body: str
    caption: str = ""
    source: str = ""
    wide: bool = False


@dataclass(frozen=True)
class Kpi:
    """A headline number."""

    label: str
    value: str


def empty_body(element_id: str, reason: str, *, error: bool = False) -> str:
    """The "no data yet" card that stands in for a chart (or, for a failed query, the error)."""
    heading = "Could not compute this chart" if error else "No data yet"
    state = "error" if error else "empty"
    return (f'<div class="no-data{" error" if error else ""}" id="{escape(element_id)}" data-state="{state}">'
            f"<strong>{heading}</strong><span>{escape(reason)}</span></div>")


def _cell(value: Any) -> tuple[str, bool]:
    if value is None:
        return "", False
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M"), False
    if isinstance(value, float):
        return f"{value:,.1f}", True
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}", True
    return str(value), False


def table_body(element_id: str, table: Table, headings: dict[str, str]) -> str:
    """An HTML table of the listed columns (escaped), with a lookup box that filters its rows."""
    head = "".join(f"<th>{escape(label)}</th>" for label in headings.values())
    indexes = [table.columns.index(column) for column in headings]
    rows = []
    for row in table.rows:
        cells = []
        for index in indexes:
            text, numeric = _cell(row[index])
            cells.append(f'<td class="num">{escape(text)}</td>' if numeric else f"<td>{escape(text)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'<input class="lookup" type="search" data-filter="{escape(element_id)}" '
        f'placeholder="Find a lead: contact id, channel, grade or rule" aria-label="Find a lead">'
        f' <span class="what">showing <span id="{escape(element_id)}-count">{len(table.rows)}</span>'
        f" of {len(table.rows)}</span>"
        f'<div class="table-wrap"><table class="mqls" id="{escape(element_id)}" data-state="table">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _section_html(section: Section) -> str:
    classes = "card wide" if section.wide else "card"
    caption = f'<p class="caption">{escape(section.caption)}</p>' if section.caption else ""
    source = f'<p class="source">Source: {escape(section.source)}</p>' if section.source else ""
    return (
        f'<section class="{classes}" id="section-{escape(section.key)}" data-chart="{escape(section.element_id)}" '
        f'data-state="{section.state}"><h2>{escape(section.title)}</h2><p class="what">{escape(section.what)}</p>'
        f"{section.body}{caption}{source}</section>"
    )


def render_page(*, title: str, subtitle: str, kpis: list[Kpi], sections: list[Section], plotly_js: str,
                footer: str) -> str:
    """The whole page as one string."""
    kpi_html = "".join(
        f'<div class="kpi"><div class="value">{escape(kpi.value)}</div><div class="label">{escape(kpi.label)}</div>'
        f"</div>" for kpi in kpis
    )
    body = "".join(_section_html(section) for section in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style>"
        f'<script type="text/javascript">{plotly_js}</script></head>'
        f"<body><header><h1>{escape(title)}</h1><p>{escape(subtitle)}</p></header>"
        f'<div class="kpis" id="kpis">{kpi_html}</div><main>{body}</main>'
        f"<footer>{escape(footer)}</footer><script>{LOOKUP_SCRIPT}</script></body></html>\n"
    )
