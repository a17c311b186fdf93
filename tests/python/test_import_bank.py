"""`mappings/uci_bank_marketing.yml` on a few rows in the export's own format (';', quoted, CRLF): ids from row
numbers, readable job titles, custom attributes, snapshot-dated events, opportunities only for subscribers, and
the call duration and outcome never reaching scoring inputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.importer import MappingError, load_mapping, run_import
from tests.python.test_import import MAPPINGS, _read

BANK = MAPPINGS / "uci_bank_marketing.yml"
HEADER = ('"age";"job";"marital";"education";"default";"housing";"loan";"contact";"month";"day_of_week";'
          '"duration";"campaign";"pdays";"previous";"poutcome";"emp.var.rate";"cons.price.idx";"cons.conf.idx";'
          '"euribor3m";"nr.employed";"y"')
ROWS = [  # call durations 98761..98764 are unique numbers: none may appear in a scoring input
    ('56;"housemaid";"married";"basic.4y";"no";"no";"no";"telephone";"may";"mon";98761;1;999;0;"nonexistent";'
    '1.1;93.994;-36.4;4.857;5191;"no"'),
    ('41;"admin.";"single";"university.degree";"unknown";"yes";"no";"cellular";"nov";"tue";98762;2;6;3;"success";'
    '-1.1;94.767;-50.8;1.035;4963.6;"yes"'),
    ('30;"unknown";"divorced";"high.school";"no";"yes";"yes";"cellular";"oct";"fri";98763;1;999;1;"failure";'
    '-3.4;92.431;-26.9;0.754;5017.5;"no"'),
    ('25;"student";"single";"unknown";"no";"no";"no";"cellular";"sep";"thu";98764;4;3;1;"success";'
    '-3.4;92.379;-29.8;0.781;5017.5;"yes"'),
]
SNAPSHOT = "2010-11-30 00:00:00"


def _export(folder: Path, rows: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bank-additional-full.csv").write_bytes("\r\n".join([HEADER, *rows, ""]).encode("utf-8"))
    return folder


@pytest.fixture
def bank_out(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    run_import(BANK, _export(tmp_path / "bank", ROWS), out)
    return out


def test_bank_rows_become_contacts_with_titles_and_custom_attributes(bank_out: Path) -> None:
    contacts = {c["contact_id"]: c for c in _read(bank_out / "contacts.csv")}
    assert list(contacts) == ["bank-1", "bank-2", "bank-3", "bank-4"]
    assert [c["job_title"] for c in contacts.values()] == ["Housekeeper", "Administrative Assistant", "", "Student"]
    first = contacts["bank-1"]
    assert (first["email"], first["country"], first["lead_source"]) == ("1@bank-lead.invalid", "PT", "phone")
    assert (first["created_at"], first["updated_at"]) == (SNAPSHOT, SNAPSHOT)
    assert json.loads(first["custom_attributes"]) == {
        "age": 56, "job": "housemaid", "marital": "married", "education": "basic.4y", "credit_default": "no",
        "housing": "no", "loan": "no", "contact_type": "telephone", "last_contact_month": "may",
        "last_contact_weekday": "mon", "campaign_contacts": 1, "previous_contacts": 0,
        "previous_outcome": "nonexistent", "emp_var_rate": 1.1, "cons_price_idx": 93.994, "cons_conf_idx": -36.4,
        "euribor3m": 4.857, "nr_employed": 5191}  # pdays 999 means never contacted: left out
    assert json.loads(contacts["bank-2"]["custom_attributes"])["days_since_previous_contact"] == 6
    assert json.loads(contacts["bank-2"]["custom_attributes"])["nr_employed"] == 4963.6
    assert first["custom_attributes"].startswith('{"age":56,"campaign_contacts":1,')  # compact, sorted keys


def test_bank_events_are_snapshot_dated_responses_and_touches(bank_out: Path) -> None:
    events = _read(bank_out / "events.csv")
    assert sorted((e["event_id"], e["event_type"]) for e in events) == [
        ("bank-2:campaign_response", "campaign_response"), ("bank-2:campaign_touch:1", "campaign_touch"),
        ("bank-2:campaign_touch:2", "campaign_touch"), ("bank-2:campaign_touch:3", "campaign_touch"),
        ("bank-3:campaign_touch:1", "campaign_touch"),
        ("bank-4:campaign_response", "campaign_response"), ("bank-4:campaign_touch:1", "campaign_touch")]
    assert {e["occurred_at"] for e in events} == {SNAPSHOT}
    touches = {e["event_id"]: e["properties"] for e in events if e["event_type"] == "campaign_touch"}
    assert touches["bank-2:campaign_touch:1"] == '{"days_since_previous_contact":6}'
    assert touches["bank-3:campaign_touch:1"] == ""  # pdays 999


def test_bank_subscribers_become_won_opportunities(bank_out: Path) -> None:
    deals = _read(bank_out / "opportunities.csv")
    assert [(d["opportunity_id"], d["primary_contact_id"], d["stage"], d["is_won"]) for d in deals] == [
        ("bank-2:deposit", "bank-2", "closed won", "true"), ("bank-4:deposit", "bank-4", "closed won", "true")]
    report = json.loads((bank_out / "_import_report.json").read_text(encoding="utf-8"))
    table = next(t for t in report["tables"] if t["table"] == "opportunities")
    assert (table["rows_written"], table["skipped"], table["rejected"]) == (2, 2, 0)
    assert any("not point in time" in w and "snapshot" in w for w in report["warnings"])


def test_bank_call_duration_and_outcome_never_reach_scoring_inputs(bank_out: Path, tmp_path: Path) -> None:
    inputs = {name: (bank_out / name).read_text(encoding="utf-8") for name in ("contacts.csv", "events.csv")}
    for text in inputs.values():
        assert not any(str(duration) in text for duration in range(98761, 98765))
        assert '"duration"' not in text and '""y""' not in text
    # Swap every outcome (y) and call duration: contacts and events stay byte for byte the same.
    changed = [row[: row.rindex(";")].replace(f";{duration};", ";0;") + (';"yes"' if row.endswith('"no"') else ';"no"')
               for row, duration in zip(ROWS, range(98761, 98765), strict=True)]
    other = tmp_path / "other"
    run_import(BANK, _export(tmp_path / "bank2", changed), other)
    for name, text in inputs.items():
        assert (other / name).read_text(encoding="utf-8") == text
    assert [d["opportunity_id"] for d in _read(other / "opportunities.csv")] == ["bank-1:deposit", "bank-3:deposit"]


@pytest.mark.parametrize(("old", "new", "message"), [
    ("      previous_outcome: poutcome\n", "      previous_outcome: poutcome\n      call_seconds: duration\n",
     (r"uci_bank_marketing\.yml: tables\.contacts\.custom_attributes\.call_seconds: reads outcome-only column\(s\) "
     r"duration")),
    ("        when: {column: poutcome, equals: success}\n", "        when: {column: y, equals: yes}\n",
     r"tables\.events\.activities\[1\]\.when: reads outcome-only column\(s\) y"),
    ("          days_since_previous_contact: {column: pdays, null_values: [999], type: integer}\n",
     "          seconds: {column: duration, type: integer}\n",
     r"tables\.events\.activities\[2\]\.properties\.seconds: reads outcome-only column\(s\) duration"),
])
def test_the_bank_mapping_cannot_be_changed_to_score_on_the_call(tmp_path: Path, old: str, new: str,
                                                                 message: str) -> None:
    text = BANK.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "uci_bank_marketing.yml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(MappingError, match=message):
        load_mapping(path)
