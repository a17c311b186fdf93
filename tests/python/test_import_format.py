"""`mql import` mapping format for real exports: per-activity event columns, `when` row filters, numeric steps,
custom attributes and event properties as JSON, snapshot dating, `{_row}` ids and clipping warnings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.importer import MappingError, clipping, load_mapping, run_import
from scripts.importer.conditions import all_hold, parse_when
from scripts.importer.specs import ColumnSpec
from scripts.importer.values import UnmappableValue, evaluate
from tests.python.test_import import _read, _write

CONTACT_TIMES = 'created_at: {constant: "2024-01-01 00:00:00"}\n      updated_at: {constant: "2024-01-01 00:00:00"}'


def _setup(tmp_path: Path, mapping: str, rows: list[list[str]], file: str = "export.csv") -> tuple[Path, Path]:
    """A mapping file `bad.yml` and a source folder holding `rows` as `file`."""
    path = tmp_path / "bad.yml"
    path.write_text(mapping, encoding="utf-8")
    _write(tmp_path / "src" / file, rows)
    return path, tmp_path / "src"


def _refused(tmp_path: Path, mapping: str, message: str) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(mapping, encoding="utf-8")
    with pytest.raises(MappingError, match=message):
        load_mapping(path)


EVENTS_EXPORT = [
    ["id", "page", "visits", "last_visit", "webinar", "webinar_date", "minutes", "utm", "score", "campaign"],
    ["1", "/pricing", "2", "2024-01-02", "Scoring 101", "2024-01-05", "30", "news", "7", "C9"],
    ["2", "/blog", "0", "", "", "", "", "", "", ""],
]
EVENTS_MAPPING = """
sources: {export: {file: export.csv}}
tables:
  events:
    from: export
    columns:
      contact_id: id
      url: page
      asset_name: {constant: site}
    properties:
      utm_source: utm
      score: {column: score, type: number}
    activities:
      - name: visit
        event_type: {constant: page_view}
        count: visits
        occurred_at: {column: last_visit, format: "%Y-%m-%d"}
      - name: webinar
        event_type: {constant: webinar_attended}
        occurred_at: {column: webinar_date, format: "%Y-%m-%d"}
        url: {constant: /webinars}
        asset_name: webinar
        campaign_id: campaign
        duration_seconds: {column: minutes, multiply: 60, type: integer}
        properties:
          score: {column: score, add: 1, type: number}
          format: {constant: live}
"""


def test_each_activity_carries_its_own_event_columns_and_properties(tmp_path: Path) -> None:
    mapping, source = _setup(tmp_path, EVENTS_MAPPING, EVENTS_EXPORT)
    run_import(mapping, source, tmp_path / "out")
    events = {e["event_id"]: e for e in _read(tmp_path / "out" / "events.csv")}
    assert set(events) == {"1:visit:1", "1:visit:2", "1:webinar"}  # row 2 makes no event
    visit, webinar = events["1:visit:2"], events["1:webinar"]
    # the table's columns are the default ...
    assert (visit["url"], visit["asset_name"], visit["campaign_id"], visit["duration_seconds"]) == \
        ("/pricing", "site", "", "")
    assert visit["properties"] == '{"score":7,"utm_source":"news"}'
    # ... an activity's own specs replace them, and its properties add to the table's (its own spec wins)
    assert (webinar["url"], webinar["asset_name"], webinar["campaign_id"], webinar["duration_seconds"]) == \
        ("/webinars", "Scoring 101", "C9", "1800")
    assert json.loads(webinar["properties"]) == {"format": "live", "score": 8, "utm_source": "news"}
    header = (tmp_path / "out" / "events.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "event_id,contact_id,event_type,occurred_at,url,campaign_id,asset_name,duration_seconds,properties"


def test_an_activity_rejects_the_row_when_its_own_column_is_unmappable(tmp_path: Path) -> None:
    rows = [EVENTS_EXPORT[0], ["1", "/pricing", "1", "2024-01-02", "Scoring", "2024-01-05", "half", "", "", ""]]
    mapping, source = _setup(tmp_path, EVENTS_MAPPING, rows)
    report = run_import(mapping, source, tmp_path / "out")
    assert report.tables[0].rejected == 1
    assert report.tables[0].reasons == {"activity webinar: duration_seconds: not a number": 1}


@pytest.mark.parametrize(("when", "value", "holds"), [
    ("{column: x, equals: success}", "success", True),
    ("{column: x, equals: success}", "failure", False),
    ("{column: x, equals: yes}", "yes", True),  # YAML 1.2 booleans: `yes` is the text an export holds
    ("{column: x, equals: 999}", " 999 ", True),
    ("{column: x, in: [a, b]}", "b", True),
    ("{column: x, in: [a, b]}", "c", False),
    ("{column: x, not_in: [a, b]}", "c", True),
    ("{column: x, not_in: [a, b]}", "a", False),
    ("{column: x, not_empty: true}", "", False),
    ("{column: x, not_empty: true}", "z", True),
    ("{column: x, not_empty: false}", "", True),
    ("{column: x, less_than: 999}", "998", True),
    ("{column: x, less_than: 999}", "999", False),
    ("{column: x, less_than: 999}", "", False),  # no number: numeric tests do not hold
    ("{column: x, less_than: 999}", "soon", False),
    ("{column: x, at_least: 0}", "0", True),
    ("{column: x, at_least: 0}", "-1", False),
    ("{column: x, greater_than: 2.5}", "3", True),
    ("{column: x, greater_than: 2.5}", "2.5", False),
    ("{column: x, at_most: 2.5}", "2.5", True),
    ("{column: x, at_most: 2.5}", "2.6", False),
    ("{column: x, at_least: 0, less_than: 999}", "999", False),
    ("[{column: x, at_least: 0}, {column: x, less_than: 999}]", "5", True),
    ("[{column: x, at_least: 0}, {column: x, not_in: ['5']}]", "5", False),
])
def test_when_conditions(tmp_path: Path, when: str, value: str, holds: bool) -> None:
    mapping, _ = _setup(tmp_path, f"""
sources: {{a: {{file: a.csv}}}}
tables:
  contacts:
    from: a
    when: {when}
    columns:
      contact_id: id
      email: e
      {CONTACT_TIMES}
""", [["x"]])
    conditions = load_mapping(mapping).tables[0].when
    assert conditions and all_hold(conditions, {"x": value}) is holds


WHEN_EXPORT = [
    ["id", "email", "status", "score", "outcome"],
    ["1", "a@x.io", "lead", "7", "success"],
    ["2", "b@x.io", "spam", "9", "success"],   # status filtered out
    ["3", "c@x.io", "lead", "2", "failure"],   # score too low
    ["4", "d@x.io", "lead", "5", "failure"],
    ["5", "e@x.io", "lead", "", "success"],    # no score: the numeric test does not hold
]


def test_when_filters_skip_table_rows_and_make_no_events_for_an_activity(tmp_path: Path) -> None:
    mapping, source = _setup(tmp_path, f"""
sources: {{export: {{file: export.csv}}}}
tables:
  contacts:
    from: export
    when: [{{column: status, not_in: [spam, test]}}, {{column: score, at_least: 5}}]
    columns:
      contact_id: id
      email: email
      {CONTACT_TIMES}
  events:
    from: export
    columns: {{contact_id: id}}
    activities:
      - name: won
        when: {{column: outcome, equals: success}}
        event_type: {{constant: campaign_response}}
        occurred_at: {{constant: "2024-02-01 00:00:00"}}
""", WHEN_EXPORT)
    report = run_import(mapping, source, tmp_path / "out")
    contacts, events = report.tables
    assert [c["contact_id"] for c in _read(tmp_path / "out" / "contacts.csv")] == ["1", "4"]
    assert (contacts.source_rows, contacts.mapped_rows, contacts.rejected, contacts.skipped) == (5, 2, 0, 3)
    assert [e["event_id"] for e in _read(tmp_path / "out" / "events.csv")] == ["1:won", "2:won", "5:won"]
    assert (events.mapped_rows, events.skipped, events.rows_written) == (5, 0, 3)


BASE = f"""
sources: {{a: {{file: a.csv, outcome_columns: [Stage]}}}}
tables:
  contacts:
    from: a
    columns:
      contact_id: id
      email: e
      {CONTACT_TIMES}
"""


WHEN_MISTAKES = [
    ("    when: {column: x, like: a}", r"^bad\.yml: tables\.contacts\.when: unknown key\(s\) like"),
    ("    when: {equals: a}", r"^bad\.yml: tables\.contacts\.when: a condition needs `column"),
    ("    when: {column: x}", r"^bad\.yml: tables\.contacts\.when: condition on 'x' has no test"),
    ("    when: {column: x, less_than: soon}", r"tables\.contacts\.when: less_than takes a number"),
    ("    when: {column: x, in: a}", r"tables\.contacts\.when: in takes a non-empty list"),
    ("    when: {column: x, equals: [a]}", r"tables\.contacts\.when: equals takes one value"),
    ("    when: [{column: x, equals: a}, {column: y, not_empty: maybe}]",
     r"tables\.contacts\.when\[2\]: not_empty takes true or false"),
    ("    when: []", r"tables\.contacts\.when: when: needs at least one condition"),
    ("    when: {column: Stage, equals: won}", r"tables\.contacts\.when: reads outcome-only column\(s\) Stage"),
]


def test_a_when_column_missing_from_the_export_fails_before_any_row(tmp_path: Path) -> None:
    mapping, source = _setup(tmp_path, BASE + "    when: {column: stat, equals: a}\n",
                             [["id", "e", "Stage"], ["1", "a@x.io", ""]], "a.csv")
    with pytest.raises(MappingError, match=r"bad\.yml: tables\.contacts\.when: column\(s\) stat not in a\.csv"):
        run_import(mapping, source, tmp_path / "out")


def _spec(tmp_path: Path, spec: str) -> ColumnSpec:
    path = tmp_path / "bad.yml"
    path.write_text(f"""
sources: {{a: {{file: a.csv}}}}
tables:
  accounts:
    from: a
    columns:
      account_id: id
      account_name: id
      annual_revenue: {spec}
      created_at: {{constant: "2024-01-01 00:00:00"}}
      updated_at: {{constant: "2024-01-01 00:00:00"}}
""", encoding="utf-8")
    return next(s for s in load_mapping(path).tables[0].columns if s.target == "annual_revenue")


@pytest.mark.parametrize(("spec", "row", "expected"), [
    ("{column: x, multiply: 10, divide: 4, add: 1}", {"x": "3"}, "8.5"),  # (3 * 10 / 4) + 1: add after
    ("{column: x, divide: 3, add: 0.004, round: 2}", {"x": "1"}, "0.34"),  # round last (not 0.334)
    ("{column: x, round: 0}", {"x": "2.6"}, "3"),
    ("{column: x, multiply: 1000}", {"x": "1,234.5"}, "1234500"),
    ("{column: x, null_values: [999, unknown]}", {"x": "999"}, ""),
    ("{column: x, null_values: [999, unknown]}", {"x": "999.0"}, ""),  # the same number
    ("{column: x, null_values: [999, unknown]}", {"x": " Unknown "}, ""),  # trimmed, any case
    ("{column: x, null_values: [999, unknown]}", {"x": "9990"}, "9990"),
    ("{column: [x, y], null_values: [999]}", {"x": "999", "y": "5"}, "5"),  # a null value falls through
    ("{column: x, null_values: [unknown], values: {unknown: n/a}}", {"x": "unknown"}, ""),  # before the map
    ("{template: 'v{x}', null_values: ['-']}", {"x": "-"}, ""),
    ("{column: x, transform: lower, values: {high: '3'}, multiply: 2, type: integer}", {"x": "HIGH"}, "6"),
])
def test_numeric_steps_and_null_values_apply_in_the_documented_order(tmp_path: Path, spec: str,
                                                                    row: dict[str, str], expected: str) -> None:
    assert evaluate(_spec(tmp_path, spec), row) == expected


@pytest.mark.parametrize("value", ["lots", "nan", "inf", "1e999"])
def test_a_non_number_in_a_numeric_step_rejects_the_row(tmp_path: Path, value: str) -> None:
    with pytest.raises(UnmappableValue, match="annual_revenue: .* is not a number"):
        evaluate(_spec(tmp_path, "{column: x, divide: 1000}"), {"x": value})


@pytest.mark.parametrize(("spec", "message"), [
    ("{column: x, divide: 0}", r"^bad\.yml: tables\.accounts\.columns\.annual_revenue: divide by 0"),
    ("{column: x, add: ten}", r"tables\.accounts\.columns\.annual_revenue: add must be a number, got 'ten'"),
    ("{column: x, round: 1.5}", r"annual_revenue: round takes a number of digits from 0 to 12"),
    ("{column: x, round: -1}", r"annual_revenue: round takes a number of digits"),
    ("{column: x, null_values: {a: 1}}", r"annual_revenue: null_values must be a list"),
    ("{column: x, scale: 2}", r"annual_revenue: unknown key\(s\) scale"),
])
def test_numeric_step_mistakes_name_the_entry(tmp_path: Path, spec: str, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        _spec(tmp_path, spec)


ATTRIBUTES_EXPORT = [
    ["id", "e", "Age", "Score", "VIP", "Occupation", "Visits Count", "emp.var.rate", "Stage"],
    ["1", "a@x.io", "41", "2.50", "Yes", "Ingénieur", "12", "1.1", "won"],
    ["2", "b@x.io", "", "", "", "", "", "", "lost"],
    ["3", "c@x.io", "forty", "1", "no", "Chef", "", "", ""],
]


def test_custom_attributes_are_compact_sorted_json_with_typed_values(tmp_path: Path) -> None:
    mapping, source = _setup(tmp_path, BASE.replace("a.csv", "export.csv") + """
    custom_attributes:
      occupation: {column: Occupation, transform: lower}
      age: {column: Age, type: integer}
      score: {column: Score, type: number}
      vip: {column: VIP, type: boolean}
""", ATTRIBUTES_EXPORT)
    report = run_import(mapping, source, tmp_path / "out")
    rows = {r["contact_id"]: r["custom_attributes"] for r in _read(tmp_path / "out" / "contacts.csv")}
    assert rows == {"1": '{"age":41,"occupation":"ingénieur","score":2.5,"vip":true}',
                    "2": ""}  # every value empty: no object
    assert report.tables[0].reasons == {"custom_attributes.age: not a number": 1}


def test_a_list_of_columns_passes_through_under_their_names(tmp_path: Path) -> None:
    mapping, source = _setup(tmp_path, BASE.replace("a.csv", "export.csv") +
                             "    custom_attributes: [Occupation, Visits Count, emp.var.rate]\n", ATTRIBUTES_EXPORT)
    run_import(mapping, source, tmp_path / "out")
    rows = [json.loads(r["custom_attributes"]) for r in _read(tmp_path / "out" / "contacts.csv")
            if r["custom_attributes"]]
    assert rows == [{"emp_var_rate": "1.1", "occupation": "Ingénieur", "visits_count": "12"}, {"occupation": "Chef"}]


ATTRIBUTE_MISTAKES = [
    ("    custom_attributes: {Age: Age}", (r"tables\.contacts\.custom_attributes\.Age: attribute name 'Age' must "
                                         r"match")),
    ("    custom_attributes: [2nd email]", r"tables\.contacts\.custom_attributes\.2nd_email: attribute name"),
    ("    custom_attributes: [Visits Count, visits-count]",
     r"tables\.contacts\.custom_attributes: two source columns give the same attribute name"),
    ("    custom_attributes: [{column: Age}]", r"tables\.contacts\.custom_attributes: a list names source columns"),
    ("    custom_attributes: Age", r"tables\.contacts\.custom_attributes: expected a mapping"),
    ("    custom_attributes: {age: {column: Age, type: date}}",
     r"tables\.contacts\.custom_attributes\.age: type must be integer"),
    ("    custom_attributes: {stage: Stage}",
     r"^bad\.yml: tables\.contacts\.custom_attributes\.stage: reads outcome-only column\(s\) Stage"),
    ("    custom_attributes: [Stage]", r"tables\.contacts\.custom_attributes\.stage: reads outcome-only"),
    ("    properties: [Age]", r"tables\.contacts\.properties: not for table 'contacts'"),
]


@pytest.mark.parametrize(("extra", "message"), WHEN_MISTAKES + ATTRIBUTE_MISTAKES)
def test_when_and_custom_attribute_mistakes_name_the_file_and_entry(tmp_path: Path, extra: str,
                                                                   message: str) -> None:
    _refused(tmp_path, BASE + extra + "\n", message)


def test_custom_attributes_go_beside_columns_and_only_on_their_tables(tmp_path: Path) -> None:
    _refused(tmp_path, BASE + "      custom_attributes: Age\n",
             r"tables\.contacts\.columns\.custom_attributes: custom_attributes is written from `custom_attributes:`")
    _refused(tmp_path, """
sources: {a: {file: a.csv}}
tables:
  opportunities:
    from: a
    columns: {opportunity_id: id, stage: s, created_at: c, updated_at: c}
    custom_attributes: [x]
""", r"tables\.opportunities\.custom_attributes: not for table 'opportunities'")


EVENTS_BASE = """
sources: {a: {file: a.csv, outcome_columns: [Stage]}}
tables:
  events:
    from: a
    columns: {contact_id: id}
"""


@pytest.mark.parametrize(("activity", "message"), [
    ("{name: x, event_type: v, occurred_at: t, url: Stage}",
     r"^bad\.yml: tables\.events\.activities\[1\]\.url: reads outcome-only column\(s\) Stage"),
    ("{name: x, event_type: v, occurred_at: t, properties: {stage: Stage}}",
     r"tables\.events\.activities\[1\]\.properties\.stage: reads outcome-only"),
    ("{name: x, event_type: v, occurred_at: t, when: {column: Stage, equals: won}}",
     r"tables\.events\.activities\[1\]\.when: reads outcome-only"),
    ("{name: x, event_type: v, occurred_at: t, properties: {vip: {column: v, type: boolean}}}",
     r"tables\.events\.activities\[1\]\.properties\.vip: event properties are text or numbers"),
    ("{name: x, event_type: v, occurred_at: t, page: p}", r"tables\.events\.activities\[1\]: unknown key\(s\) page"),
    ("{name: x, event_type: v, occurred_at: t, contact_id: c}", r"activities\[1\]: unknown key\(s\) contact_id"),
    ("{name: x, event_type: v, occurred_at: t, when: {column: y, below: 3}}",
     r"tables\.events\.activities\[1\]\.when: unknown key\(s\) below"),
    ("{name: x, event_type: v, occurred_at: t, max_count: 0}", r"activities\[1\]\.max_count: must be a whole number"),
    ("{name: x, event_type: v}", r"activities\[1\]: an activity needs occurred_at \(or a top-level snapshot_at"),
])
def test_activity_mistakes_name_the_entry(tmp_path: Path, activity: str, message: str) -> None:
    _refused(tmp_path, EVENTS_BASE + f"    activities: [{activity}]\n", message)


def test_two_activities_with_one_name_are_refused(tmp_path: Path) -> None:
    _refused(tmp_path, EVENTS_BASE + "    activities: [{name: x, event_type: v, occurred_at: t}, "
                                     "{name: x, event_type: w, occurred_at: t}]\n",
             r"tables\.events\.activities: two activities have the same name")


SNAPSHOT_MAPPING = """
timezone: America/Sao_Paulo
snapshot_at: SNAPSHOT
sources: {export: {file: export.csv}}
tables:
  contacts:
    from: export
    columns:
      contact_id: {template: "lead-{_row}"}
      email: email
      created_at: {snapshot: true}
      updated_at: {column: changed, format: "%Y-%m-%d"}
  events:
    from: export
    columns: {contact_id: {template: "lead-{_row}"}}
    activities:
      - {name: seen, event_type: {constant: campaign_touch}, count: touches}
  campaigns:
    from: export
    columns:
      campaign_id: {template: "c-{_row}"}
      campaign_name: email
      channel: {constant: email}
      start_date: {snapshot: true}
      updated_at: {snapshot: true}
"""
SNAPSHOT_EXPORT = [["email", "changed", "touches"], ["a@x.io", "2010-11-02", "2"], ["b@x.io", "", "0"]]


@pytest.mark.parametrize("snapshot", ['"2010-11-30 00:00:00"', "2010-11-30 00:00:00", '"2010-11-30"'])
def test_snapshot_dates_timestamps_and_activities_without_a_time(tmp_path: Path, snapshot: str) -> None:
    mapping, source = _setup(tmp_path, SNAPSHOT_MAPPING.replace("SNAPSHOT", snapshot), SNAPSHOT_EXPORT)
    report = run_import(mapping, source, tmp_path / "out")
    contacts = _read(tmp_path / "out" / "contacts.csv")
    # naive snapshot_at is in the mapping's timezone (Sao Paulo summer time, UTC-2), written in UTC
    assert [(c["contact_id"], c["created_at"]) for c in contacts] == [("lead-1", "2010-11-30 02:00:00")]
    assert [(e["event_id"], e["occurred_at"]) for e in _read(tmp_path / "out" / "events.csv")] == [
        ("lead-1:seen:1", "2010-11-30 02:00:00"), ("lead-1:seen:2", "2010-11-30 02:00:00")]
    assert _read(tmp_path / "out" / "campaigns.csv")[0]["start_date"] == "2010-11-30"  # a date column
    warning = next(w for w in report.warnings if "snapshot" in w)
    assert "not point in time" in warning and "contacts (created_at)" in warning and "events (occurred_at)" in warning
    document = json.loads((tmp_path / "out" / "_import_report.json").read_text(encoding="utf-8"))
    assert warning in document["warnings"]


@pytest.mark.parametrize(("mapping", "message"), [
    (BASE.replace('{constant: "2024-01-01 00:00:00"}', "{snapshot: true}", 1),
     r"tables\.contacts\.columns\.created_at: snapshot: true needs a top-level snapshot_at"),
    ("snapshot_at: yesterday\n" + BASE, r"^bad\.yml: snapshot_at: 'yesterday' is not a time"),
    ("snapshot_at: 2010-11-30\n" + BASE.replace('{constant: "2024-01-01 00:00:00"}', "{snapshot: yes}", 1),
     r"tables\.contacts\.columns\.created_at: snapshot takes only `true`"),
    ("snapshot_at: 2010-11-30\n" + BASE.replace('{constant: "2024-01-01 00:00:00"}',
                                                '{snapshot: true, format: "%Y"}', 1),
     r"created_at: snapshot: true is already a timestamp"),
    ("snapshot_at: 2010-11-30\n" + BASE.replace('{constant: "2024-01-01 00:00:00"}',
                                                "{snapshot: true, constant: x}", 1),
     r"created_at: set exactly one of column, constant, template, snapshot"),
])
def test_snapshot_mistakes_name_the_entry(tmp_path: Path, mapping: str, message: str) -> None:
    _refused(tmp_path, mapping, message)


def test_row_placeholder_numbers_data_rows_stably(tmp_path: Path) -> None:
    mapping, source = _setup(tmp_path, """
sources: {export: {file: export.csv}}
tables:
  contacts:
    from: export
    columns:
      contact_id: {template: "lead-{_row}"}
      email: {template: "{_row}@x.invalid"}
      created_at: {column: created, format: "%Y-%m-%d"}
      updated_at: {column: created, format: "%Y-%m-%d"}
""", [["created"], ["2024-01-01"], ["bad date"], [""], ["2024-01-03"]])  # a blank line is not a row
    first = run_import(mapping, source, tmp_path / "one")
    assert [(c["contact_id"], c["email"]) for c in _read(tmp_path / "one" / "contacts.csv")] == [
        ("lead-1", "1@x.invalid"), ("lead-3", "3@x.invalid")]  # a rejected row keeps its number
    assert first.tables[0].rejected == 1
    run_import(mapping, source, tmp_path / "two")
    assert (tmp_path / "two" / "contacts.csv").read_bytes() == (tmp_path / "one" / "contacts.csv").read_bytes()


CLIP_RULES = """rule_id,score_family,event_type,condition_field,condition_operator,condition_value,points,\
quantity_field,quantity_unit,max_points,max_per_day,window_days,half_life_days,is_fast_track,description
R1,engagement,email_open,,,,1,,,10,1,60,30,false,open
R2,engagement,form_submit,,,,10,,,30,,180,60,false,form
R3,engagement,form_submit,form_kind,,demo,5,,,50,2,180,60,false,demo form
R4,engagement,page_view,,,,1,duration_seconds,30,5,,,,false,per 30 seconds
"""
CLIP_TYPES = "raw_event_type,event_type\nemail open,email_open\nform,form_submit\npage view,page_view\n"


def test_clipped_synthesized_events_are_warned_with_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "rules.csv").write_text(CLIP_RULES, encoding="utf-8")
    (tmp_path / "types.csv").write_text(CLIP_TYPES, encoding="utf-8")
    monkeypatch.setattr(clipping, "RULES_SEED", tmp_path / "rules.csv")
    monkeypatch.setattr(clipping, "EVENT_TYPE_MAP_SEED", tmp_path / "types.csv")
    mapping, source = _setup(tmp_path, """
sources: {export: {file: export.csv}}
tables:
  events:
    from: export
    columns: {contact_id: id}
    activities:
      - {name: opens, event_type: {constant: " Email  Open "}, count: opens, occurred_at: {constant: "2024-01-01"}}
      - {name: forms, event_type: {constant: Form}, count: forms, occurred_at: {constant: "2024-01-01"}}
      - {name: views, event_type: {constant: page view}, count: views, occurred_at: {constant: "2024-01-01"}}
""", [["id", "opens", "forms", "views"], ["1", "5", "4", "9"], ["2", "1", "2", "1"], ["3", "0", "1", "0"],
      ["4", "150", "0", "0"]])
    report = run_import(mapping, source, tmp_path / "out")
    clipped = [w for w in report.warnings if w.startswith("events: activity")]
    assert clipped == [
        "events: activity opens: 1 rows had more than max_count 100 events (capped: 50 events not written)",
        ("events: activity forms: 1 rows synthesize more than 2 form_submit events at one time; rule R3 (when "
        "form_kind = demo) scores only 2 a day (2 events will score 0)"),
        ("events: activity opens: 2 rows synthesize more than 1 email_open events at one time; rule R1 scores only "
        "1 a day (103 events will score 0)"),
        ("events: activity forms: 1 rows synthesize form_submit events at one time worth more than max_points 30 "
        "(10 points each); rule R2 caps them (1 events will score 0)"),
    ]  # R4 scores per unit of a quantity: no fixed cap count; rows of one event never clip
    assert report.tables[0].rows_written == 5 + 4 + 9 + 1 + 2 + 1 + 1 + 100


def test_when_parsing_alone_accepts_one_condition_or_a_list(tmp_path: Path) -> None:
    one = parse_when(tmp_path / "m.yml", "w", {"column": "x", "equals": "a"})
    many = parse_when(tmp_path / "m.yml", "w", [{"column": "x", "equals": "a"}, {"column": "y", "not_empty": True}])
    assert len(one) == 1 and len(many) == 2 and parse_when(tmp_path / "m.yml", "w", None) == ()
