"""`mql import`: mappings map exports onto the raw contract, report unmappable rows, and never let outcome-only
data become a scoring input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scripts.importer import OUTCOME_TABLES, MappingError, load_mapping, run_import
from scripts.load import plan_load
from scripts.paths import PROJECT_ROOT
from tests.python.helpers import CONTACTS_MAPPING, LEADS_CSV

MAPPINGS = PROJECT_ROOT / "mappings"
SHARED = PROJECT_ROOT.parent / "shared" / "data"
needs_shared_data = pytest.mark.skipif(not (SHARED / "olist_marketing_funnel").is_dir(),
                                       reason=f"the public data sets are not at {SHARED} (CI has them)")

LEADS = [
    ["mql_id", "first_contact_date", "landing_page_id", "origin"],
    ["lead01", "2018-02-01", "lp1", "social"],
    ["lead02", "2017-10-20", "lp2", "paid_search"],
    ["lead03", "2018-13-45", "lp1", "organic_search"],  # no 13th month: unmappable
    ["lead04", "2018-03-22", "lp3", "unknown"],
    ["lead05", "", "lp3", "email"],  # no first contact date: unmappable (contacts need created_at)
]
DEALS = [
    ["mql_id", "seller_id", "sdr_id", "sr_id", "won_date", "business_segment", "lead_type",
     "lead_behaviour_profile", "has_company", "has_gtin", "average_stock", "business_type",
     "declared_product_catalog_size", "declared_monthly_revenue"],
    ["lead01", "s1", "sdr9", "sr9", "2018-02-26 19:58:54", "pet_shop_zz", "online_medium", "cat", "", "", "",
     "reseller", "", "123456.0"],
    ["lead02", "s2", "sdr8", "sr8", "not a date", "car_zz", "industry", "eagle", "", "", "", "reseller", "", "0.0"],
]
OUTCOME_VALUES = ("pet_shop_zz", "car_zz", "online_medium", "sdr9", "sr9", "123456")


def _write(path: Path, rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)  # CRLF, as real exports often are


@pytest.fixture
def olist_export(tmp_path: Path) -> Path:
    source = tmp_path / "olist"
    _write(source / "olist_marketing_qualified_leads_dataset.csv", LEADS)
    _write(source / "olist_closed_deals_dataset.csv", DEALS)
    return source


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_olist_mapping_maps_rows_and_reports_the_unmappable_ones(olist_export: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = run_import(MAPPINGS / "olist.yml", olist_export, out)
    by_table = {t.table: t for t in report.tables}
    contacts = by_table["contacts"]
    assert (contacts.source_rows, contacts.rows_written, contacts.rejected) == (5, 3, 2)
    assert contacts.reasons == {"created_at: date does not match the format": 1,
                                "updated_at: date does not match the format": 1,
                                "created_at: required value is empty": 1, "updated_at: required value is empty": 1}
    rejects = _read(out / "_rejects" / "contacts.csv")
    assert [(r["mql_id"], r["_line"]) for r in rejects] == [("lead03", "4"), ("lead05", "6")]
    assert "'2018-13-45' does not match %Y-%m-%d" in rejects[0]["_reasons"]
    assert contacts.samples and contacts.samples[0]["mql_id"] == "lead03"
    rows = {r["contact_id"]: r for r in _read(out / "contacts.csv")}
    assert set(rows) == {"lead01", "lead02", "lead04"}
    assert rows["lead02"]["lead_source"] == "paid search"  # value map
    assert rows["lead04"]["lead_source"] == ""  # 'unknown' means no information
    assert rows["lead01"]["lead_source"] == "social"  # unmapped values are kept for staging to classify
    assert rows["lead01"]["created_at"] == "2018-02-01 02:00:00"  # Sao Paulo midnight (summer time) in UTC
    # the raw origin and landing page pass through as custom attributes, for fit rules on them
    assert rows["lead01"]["custom_attributes"] == '{"landing_page_id":"lp1","origin":"social"}'
    assert rows["lead04"]["custom_attributes"] == '{"landing_page_id":"lp3","origin":"unknown"}'
    events = _read(out / "events.csv")
    assert {(e["event_id"], e["event_type"]) for e in events} == {
        ("lead01:first_contact", "contact_sales"), ("lead02:first_contact", "contact_sales"),
        ("lead04:first_contact", "contact_sales")}
    deals = by_table["opportunities"]
    assert (deals.rows_written, deals.rejected) == (1, 1)
    assert _read(out / "_rejects" / "opportunities.csv")[0]["mql_id"] == "lead02"
    document = json.loads((out / "_import_report.json").read_text(encoding="utf-8"))
    # contacts 2, events 1 (lead05 has no first contact, hence no event: nothing to reject), stages 2, deals 1
    assert [t["rejected"] for t in document["tables"]] == [2, 1, 2, 1]
    assert report.rejected == 6
    planned = {item.table.name for item in plan_load(out)}  # the output folder loads as it is
    assert planned == {"contacts", "events", "lead_stage_history", "opportunities"}


def _scoring_inputs(out: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(out.glob("*.csv"))
            if p.stem not in OUTCOME_TABLES}


def test_outcome_only_deal_columns_never_become_scoring_inputs(olist_export: Path, tmp_path: Path) -> None:
    first = tmp_path / "first"
    run_import(MAPPINGS / "olist.yml", olist_export, first)
    inputs = _scoring_inputs(first)
    assert set(inputs) == {"contacts.csv", "events.csv"}
    for text in inputs.values():
        for value in OUTCOME_VALUES:
            assert value not in text
    # Change every deal attribute and drop a deal: the scoring inputs stay byte for byte the same.
    changed = [DEALS[0], [*DEALS[1][:4], "2018-03-01 10:00:00", "other", "x", "y", "1", "1", "5", "maker", "9",
                          "9.0"]]
    _write(olist_export / "olist_closed_deals_dataset.csv", changed)
    second = tmp_path / "second"
    run_import(MAPPINGS / "olist.yml", olist_export, second)
    assert _scoring_inputs(second) == inputs
    assert _read(second / "opportunities.csv")[0]["created_at"] != _read(first / "opportunities.csv")[0]["created_at"]


def _mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yml"
    path.write_text(text, encoding="utf-8")
    return path


LEAK_BY_SOURCE = """
sources:
  leads: {file: leads.csv}
  deals: {file: deals.csv, role: outcome}
tables:
  accounts:
    from: deals
    columns:
      account_id: mql_id
      account_name: mql_id
      industry: business_segment
      created_at: won_date
      updated_at: won_date
"""
LEAK_BY_COLUMN = """
sources:
  export: {file: export.csv, outcome_columns: [Lifecycle Stage, Became a Customer Date]}
tables:
  contacts:
    from: export
    columns:
      contact_id: id
      email: email
      job_title: {template: "{title} ({Lifecycle Stage})"}
      created_at: created
      updated_at: created
"""


@pytest.mark.parametrize(("text", "message"), [
    (LEAK_BY_SOURCE, r"tables\.accounts: reads source 'deals', which has role outcome"),
    (LEAK_BY_COLUMN, r"tables\.contacts\.columns\.job_title: reads outcome-only column\(s\) Lifecycle Stage"),
])
def test_a_mapping_feeding_outcome_data_into_scoring_inputs_is_refused(tmp_path: Path, text: str,
                                                                      message: str) -> None:
    with pytest.raises(MappingError, match=message):
        load_mapping(_mapping(tmp_path, text))


@pytest.mark.parametrize(("text", "message"), [
    ("sources: {a: {file: a.csv}}\ntables: {people: {from: a, columns: {}}}", r"tables\.people: not a table"),
    ("sources: {a: {file: a.csv}}\ntables: {contacts: {from: a, columns: {contact_id: id, mail: e}}}",
     r"tables\.contacts\.columns\.mail: not a column of 'contacts'"),
    ("sources: {a: {file: a.csv}}\ntables: {contacts: {from: a, columns: {contact_id: id}}}",
     r"tables\.contacts: required contract column\(s\) not mapped: created_at, email, updated_at"),
    ("sources: {a: {file: a.csv}}\ntables: {contacts: {from: b, columns: {}}}", r"unknown source 'b'"),
    ("sources: {a: {file: a.csv}}\ntables: {contacts: {from: a, columns: {email: {column: e, transform: shout}}}}",
     r"unknown transform 'shout'"),
])
def test_mapping_errors_name_the_entry(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        load_mapping(_mapping(tmp_path, text))


HUBSPOT_CONTACTS = [
    ["Record ID", "First Name", "Last Name", "Email", "Job Title", "Company Name", "Country/Region",
     "Original Source", "Contact owner", "Create Date", "Last Modified Date", "Number of Form Submissions",
     "Recent Conversion Date", "Marketing emails opened", "Last marketing email open date",
     "Marketing emails clicked", "Last marketing email click date", "Last Meeting Booked", "Lifecycle Stage",
     "Lead Status", "Became a Sales Qualified Lead Date", "Became an Opportunity Date", "Became a Customer Date",
     "Associated Deal"],
    ["101", "Ana", "Lima", " Ana@Acme.com ", "VP Marketing", "Acme", "Germany", "PAID_SEARCH", "Jo Rep",
     "2024-03-05 14:02", "2024-04-01 09:00", "3", "2024-03-20 10:00", "2", "2024-03-18", "0", "", "",
     "salesqualifiedlead", "", "2024-03-21 08:00", "", "", ""],
    ["102", "Bo", "Chen", "bo@beta.io", "Engineer", "Beta", "France", "SOCIAL_MEDIA", "Jo Rep",
     "05/03/2024", "", "1", "", "0", "", "0", "", "2024-03-09 16:30", "lead", "", "", "", "", ""],
]
HUBSPOT_DEALS = [
    ["Record ID", "Associated Contact IDs", "Deal Name", "Amount", "Deal Stage", "Create Date", "Close Date",
     "Last Modified Date"],
    ["9001", "101", "Acme - new", "12000", "closedwon", "2024-03-25", "2024-05-01", "2024-05-01"],
    ["9002", "101", "Acme - upsell", "lots", "closedwon", "2024-06-01", "", ""],
    ["9003", "101", "Acme - other", "10", "pending", "2024-06-01", "", ""],
]


def test_documented_hubspot_example_maps_wide_activity_columns_to_events(tmp_path: Path) -> None:
    source = tmp_path / "hubspot"
    _write(source / "hubspot-contacts.csv", HUBSPOT_CONTACTS)
    _write(source / "hubspot-deals.csv", HUBSPOT_DEALS)
    out = tmp_path / "out"
    report = run_import(MAPPINGS / "hubspot_example.yml", source, out)
    by_table = {t.table: t for t in report.tables}
    contacts = _read(out / "contacts.csv")
    assert [c["contact_id"] for c in contacts] == ["101"]  # 102's create date is not in any listed format
    assert contacts[0]["email"] == "ana@acme.com" and contacts[0]["owner_id"] == "jo-rep"
    assert contacts[0]["custom_attributes"] == '{"form_submissions":3,"original_source":"paid_search"}'
    assert by_table["contacts"].rejected == 1
    events = _read(out / "events.csv")
    assert sorted(e["event_id"] for e in events) == ["101:email_open:1", "101:email_open:2", "101:form:1",
                                                     "101:form:2", "101:form:3"]
    assert {e["event_type"] for e in events} == {"email_open", "form_submit"}
    # 102 has a form submission but no conversion date to date it: the row is reported, not half-imported
    assert by_table["events"].rejected == 1
    assert "activity form: 1 event(s) but no time to date them" in _read(out / "_rejects" / "events.csv")[0]["_reasons"]
    stages = _read(out / "lead_stage_history.csv")
    assert [(s["contact_id"], s["stage"]) for s in stages] == [("101", "Sales Qualified")]
    assert by_table["lead_stage_history"].skipped == 1
    deals = by_table["opportunities"]
    assert (deals.rows_written, deals.rejected) == (1, 2)
    assert deals.reasons == {"amount: not a number": 1, "stage: value not in the value map": 1}
    assert any("not point in time" in warning for warning in report.warnings)
    assert "events: activity email_open: 1 rows synthesize more than 1 email_open events at one time; rule E08 " \
           "scores only 1 a day (1 events will score 0)" in report.warnings  # the project's own rule seed


def test_a_folder_with_other_contract_files_is_refused_and_a_previous_import_replaced(olist_export: Path,
                                                                                     tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_import(MAPPINGS / "olist.yml", olist_export, out)
    run_import(MAPPINGS / "olist.yml", olist_export, out)  # a previous import is replaced
    (out / "accounts.csv").write_text("account_id\n", encoding="utf-8")  # not written by the import
    with pytest.raises(MappingError, match=r"already holds accounts\.csv"):
        run_import(MAPPINGS / "olist.yml", olist_export, out)
    (out / "accounts.csv").unlink()
    (out / "sales_reps.csv").touch()
    (out / "_import_report.json").unlink()
    with pytest.raises(MappingError, match="already holds"):
        run_import(MAPPINGS / "olist.yml", olist_export, out)


def test_import_command_prints_counts_and_rejects(olist_export: Path, tmp_path: Path) -> None:
    from scripts.cli import app

    result = CliRunner().invoke(app, ["import", "--mapping", str(MAPPINGS / "olist.yml"), "--source",
                                      str(olist_export), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "2 unmappable rows" in result.output and "_rejects" in result.output
    bad = CliRunner().invoke(app, ["import", "--mapping", str(_mapping(tmp_path, LEAK_BY_SOURCE)), "--source",
                                   str(olist_export), "--out", str(tmp_path / "out2")])
    assert bad.exit_code == 1 and "role outcome" in bad.output


@needs_shared_data
def test_real_exports_import_with_the_shipped_mappings(tmp_path: Path) -> None:
    olist = run_import(MAPPINGS / "olist.yml", SHARED / "olist_marketing_funnel", tmp_path / "olist")
    counts = {t.table: (t.rows_written, t.rejected) for t in olist.tables}
    assert counts == {"contacts": (8000, 0), "events": (8000, 0), "lead_stage_history": (8000, 0),
                      "opportunities": (842, 0)}
    maven = run_import(MAPPINGS / "maven_crm.yml", SHARED / "maven_crm_sales_opportunities", tmp_path / "maven")
    deals = {t.table: t for t in maven.tables}["opportunities"]
    assert (deals.rows_written, deals.rejected) == (8300, 500)  # Prospecting deals have no engage date
    assert deals.reasons["created_at: required value is empty"] == 500
    accounts = {r["account_id"]: r for r in _read(tmp_path / "maven" / "accounts.csv")}
    assert accounts["acme-corporation"]["industry"] == "software"  # the "technolgy" typo, mapped
    names = {r["opportunity_name"] for r in _read(tmp_path / "maven" / "opportunities.csv")}
    assert "GTXPro" not in names and "GTX Pro" in names


@pytest.mark.parametrize("mistake", [
    "sources: [1, 2]",
    "sources: {leads: {file: [1]}}",
    "tables: {contacts: 5}",
    "tables: {contacts: {from: leads, columns: [id]}}",
    "tables: {contacts: {from: nope, columns: {contact_id: id}}}",
    "tables: {nosuch: {from: leads, columns: {x: id}}}",
    "tables: {contacts: {from: leads, columns: {contact_id: {value: 1, map: 3}}}}",
    "tables: {contacts: {from: leads, when: 5, columns: {contact_id: id}}}",
    "timezone: Mars/Olympus",
    "no_such_key: 1",
    "snapshot_at: yesterday",
    ("tables: {contacts: {from: leads, columns: {contact_id: id, email: email, created_at: {column: created, "
    "format: 5}, updated_at: created}}}"),
    ("tables: {contacts: {from: leads, columns: {contact_id: id, email: email, created_at: {column: created, "
    "timezone: Nowhere/Land}, updated_at: created}}}"),
    ("tables: {contacts: {from: leads, columns: {contact_id: '{missing_col}', email: email, created_at: created, "
    "updated_at: created}}}"),
])
def test_every_mapping_mistake_is_one_clear_line(tmp_path: Path, mistake: str) -> None:
    """A mapping mistake stops the import with one line naming the mapping file and the entry, never a
    traceback (a `format: 5` used to raise TypeError; an unknown timezone passed unnoticed)."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "leads.csv").write_text(LEADS_CSV, encoding="utf-8")
    mapping = tmp_path / "mistake.yml"
    mapping.write_text(CONTACTS_MAPPING.format(file="leads.csv") + mistake + "\n", encoding="utf-8")
    from scripts.cli import app

    result = CliRunner().invoke(app, ["import", "--mapping", str(mapping), "--source", str(source), "--out",
                                      str(tmp_path / "out")], env={"COLUMNS": "200"})
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), repr(result.exception)
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in result.output, result.output
    assert "mistake.yml" in lines[0] or "source 'leads'" in lines[0]
