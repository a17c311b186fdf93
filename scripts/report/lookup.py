"""The lead lookup card: type any lead's contact id and see its scores now, why (its largest rule contributions),
and its score timeline, each change with the event and the rules that moved the score (`changed_rule_ids` of
`marts.fct_lead_score_history`, labelled by `marts.dim_scoring_rules`).

The data of every lead travels in the page as one JSON document (ids, scores and rule ids only: no name or email),
read by a small script that builds the result with `textContent`, so nothing in the data is ever parsed as HTML.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from scripts.report import queries
from scripts.report.warehouse import Table, Warehouse

ELEMENT_ID = "table-lead-lookup"
TITLE = "Lead lookup: score timeline and reasons"
WHAT = ("Any lead by contact id: its scores and grade now, the rules that contribute most, and every recent score "
        "change with the event and rules behind it.")


@dataclass(frozen=True)
class LeadLookup:
    """What the card carries: one row per lead, its newest score changes, and the rule labels."""

    leads: Table
    timelines: Table
    rules: dict[str, str]
    rows_per_lead: int = queries.LOOKUP_TIMELINE_ROWS

    @property
    def source(self) -> str:
        return f"{self.leads.source}; {self.timelines.source}"


def lead_lookup(warehouse: Warehouse) -> LeadLookup:
    """Query the lookup's data (MissingData when a mart it reads is not built)."""
    leads = queries.lead_lookup_leads(warehouse)
    rows_per_lead = queries.lookup_rows_per_lead(len(leads))
    return LeadLookup(leads, queries.lead_lookup_timelines(warehouse, rows_per_lead), queries.rule_labels(warehouse),
                      rows_per_lead)


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return round(value, 1)
    return value


def payload(data: LeadLookup) -> dict[str, Any]:
    """The JSON document the page's script reads: `leads` (contact id -> [channel, fit, engagement, total, grade,
    is MQL now, ever MQL, first MQL at, top rules, score changes in all]), `timelines` (contact id -> rows of
    [at, kind, event type, fit change, engagement change, total after, rule ids]) and `rules` (id -> label)."""
    timelines: dict[str, list[list[Any]]] = {}
    changes: dict[str, int] = {}
    for record in data.timelines.records():
        contact = str(record["contact_id"])
        timelines.setdefault(contact, []).append([_value(record[key]) for key in (
            "scored_at", "instant_kind", "event_type", "fit_score_change", "engagement_score_change", "total_score",
            "changed_rule_ids")])
        changes[contact] = int(record["changes"])
    leads = {str(record["contact_id"]): [_value(record[key]) for key in (
        "channel", "fit_score", "engagement_score", "total_score", "grade_cell", "is_mql", "has_ever_been_mql",
        "first_mql_at", "top_rules")] + [changes.get(str(record["contact_id"]), 0)]
        for record in data.leads.records()}
    return {"leads": leads, "timelines": timelines, "rules": data.rules, "rows_per_lead": data.rows_per_lead}


SCRIPT = """
(function () {
  var root = document.getElementById("%(id)s");
  var data = JSON.parse(document.getElementById("%(id)s-data").textContent);
  var input = document.getElementById("%(id)s-input");
  var out = document.getElementById("%(id)s-result");
  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  function signed(v) { return v === null || v === undefined ? "" : (v > 0 ? "+" : "") + v; }
  function rules(ids) {
    if (!ids) { return ""; }
    return ids.split(",").map(function (id) {
      var label = data.rules[id]; return label ? id + " " + label : id;
    }).join("; ");
  }
  function show(id) {
    var lead = data.leads[id], rows = data.timelines[id] || [];
    out.replaceChildren();
    out.setAttribute("data-lead", id);
    out.appendChild(el("p", "Lead " + id + " (" + lead[0] + "): fit " + lead[1] + ", engagement " + lead[2] +
      ", total " + lead[3] + ", grade " + lead[4] + (lead[5] ? ", MQL now" : (lead[6] ? ", was an MQL" : ", not an MQL")) +
      (lead[7] ? " (first MQL " + lead[7] + " UTC)" : "") + ".", "lookup-head"));
    out.appendChild(el("p", "Largest contributions now: " + (lead[8] || "none"), "what"));
    if (lead[9] > rows.length) {
      out.appendChild(el("p", "The " + rows.length + " newest of " + lead[9] + " score changes:", "what"));
    }
    var table = el("table", null, "mqls"), head = el("tr");
    ["at (UTC)", "what", "event", "fit change", "engagement change", "total after", "rules that moved it"]
      .forEach(function (label) { head.appendChild(el("th", label)); });
    var thead = el("thead"); thead.appendChild(head); table.appendChild(thead);
    var body = el("tbody");
    rows.forEach(function (row) {
      var tr = el("tr");
      [row[0], row[1], row[2] || "", signed(row[3]), signed(row[4]), row[5], rules(row[6])]
        .forEach(function (value, index) { tr.appendChild(el("td", value, index >= 3 && index <= 5 ? "num" : "")); });
      body.appendChild(tr);
    });
    table.appendChild(body);
    var wrap = el("div", null, "table-wrap"); wrap.appendChild(table); out.appendChild(wrap);
  }
  function find() {
    var needle = input.value.trim().toLowerCase();
    out.removeAttribute("data-lead");
    if (!needle) { out.replaceChildren(el("p", "Type a contact id.", "what")); return; }
    var ids = Object.keys(data.leads), exact = ids.filter(function (id) { return id.toLowerCase() === needle; });
    var matches = exact.length ? exact : ids.filter(function (id) { return id.toLowerCase().indexOf(needle) !== -1; });
    if (matches.length === 1) { show(matches[0]); return; }
    out.replaceChildren(el("p", matches.length ? matches.length + " leads match: " +
      matches.slice(0, 10).join(", ") + (matches.length > 10 ? ", ..." : "") : "No lead with an id like " +
      input.value.trim() + ".", "what"));
  }
  input.addEventListener("input", find);
  root.setAttribute("data-ready", "true");
})();
"""


def body(data: LeadLookup) -> str:
    """The card's HTML: the search box, the result area, the data and the script."""
    document = json.dumps(payload(data), separators=(",", ":"), default=str).replace("</", "<\\/")
    element = escape(ELEMENT_ID)
    return (
        f'<div id="{element}" data-state="table">'
        f'<input class="lookup" type="search" id="{element}-input" placeholder="Contact id of any of the '
        f'{len(data.leads):,} leads" aria-label="Contact id">'
        f'<div id="{element}-result"><p class="what">Type a contact id.</p></div></div>'
        f'<script type="application/json" id="{element}-data">{document}</script>'
        f"<script>{SCRIPT % {'id': ELEMENT_ID}}</script>"
    )
