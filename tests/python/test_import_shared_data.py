"""The shipped mappings on the real public exports (optional: skipped where /work/shared/data, the `shared`
folder beside the checkout, is absent): every source row is accounted for, the JSON columns parse, outcome-only
columns never reach scoring inputs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from scripts.importer import ImportReport, run_import
from tests.python.test_import import MAPPINGS, _read

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
BANK_FILE = SHARED / "uci_bank_marketing" / "bank-additional-full.csv"
OLIST = SHARED / "olist_marketing_funnel"
ROWS = 2000


def _accounted_for(report: ImportReport) -> None:
    for table in report.tables:
        assert table.source_rows == table.mapped_rows + table.rejected + table.skipped, table.table
        if table.table != "events":
            assert table.rows_written == table.mapped_rows, table.table


def _json_objects(path: Path, column: str) -> list[dict[str, object]]:
    documents = [json.loads(row[column]) for row in _read(path) if row[column]]
    assert all(isinstance(document, dict) for document in documents)
    return documents


def _bank_slice(folder: Path, first: bool) -> list[dict[str, str]]:
    """The header and the first (or last) 2,000 data rows of the bank file, bytes as they are."""
    lines = BANK_FILE.read_bytes().split(b"\r\n")
    data = [line for line in lines[1:] if line]
    folder.mkdir(parents=True)
    (folder / BANK_FILE.name).write_bytes(b"\r\n".join([lines[0], *(data[:ROWS] if first else data[-ROWS:]), b""]))
    with (folder / BANK_FILE.name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


@pytest.mark.skipif(not BANK_FILE.is_file(), reason=f"the UCI bank marketing file is not at {BANK_FILE} "
                                                    "(the shared data folder beside the checkout)")
@pytest.mark.parametrize("first", [True, False], ids=["first_2000_rows", "last_2000_rows"])
def test_bank_marketing_rows_are_all_accounted_for(tmp_path: Path, first: bool) -> None:
    rows = _bank_slice(tmp_path / "bank", first)
    out = tmp_path / "out"
    report = run_import(MAPPINGS / "uci_bank_marketing.yml", tmp_path / "bank", out)
    _accounted_for(report)
    tables = {t.table: t for t in report.tables}
    assert (tables["contacts"].rows_written, tables["contacts"].rejected) == (ROWS, 0)
    for name in ("contacts.csv", "events.csv"):
        header = (out / name).read_text(encoding="utf-8").splitlines()[0].split(",")
        assert not {"duration", "y"} & set(header)
    attributes = _json_objects(out / "contacts.csv", "custom_attributes")
    assert len(attributes) == ROWS
    assert not {key for document in attributes for key in document} & {"duration", "y"}
    assert all(isinstance(d["age"], int) and isinstance(d["euribor3m"], int | float) for d in attributes)
    properties = _json_objects(out / "events.csv", "properties")
    assert not {key for document in properties for key in document} & {"duration", "y"}
    events = _read(out / "events.csv")
    successes = sum(row["poutcome"] == "success" for row in rows)
    assert sum(e["event_type"] == "campaign_response" for e in events) == successes
    assert sum(e["event_type"] == "campaign_touch" for e in events) == sum(int(row["previous"]) for row in rows)
    assert tables["opportunities"].rows_written == sum(row["y"] == "yes" for row in rows)
    if not first:
        assert successes > 0  # the last campaigns follow earlier ones: the check above is not vacuous


@pytest.mark.skipif(not OLIST.is_dir(), reason=f"the Olist marketing funnel export is not at {OLIST} "
                                               "(the shared data folder beside the checkout)")
def test_olist_passes_origin_and_landing_page_through(tmp_path: Path) -> None:
    report = run_import(MAPPINGS / "olist.yml", OLIST, tmp_path / "olist")
    _accounted_for(report)
    assert {t.table: (t.rows_written, t.rejected) for t in report.tables} == {
        "contacts": (8000, 0), "events": (8000, 0), "lead_stage_history": (8000, 0), "opportunities": (842, 0)}
    with (OLIST / "olist_marketing_qualified_leads_dataset.csv").open(encoding="utf-8", newline="") as handle:
        leads = {row["mql_id"]: row for row in csv.DictReader(handle)}
    for contact in _read(tmp_path / "olist" / "contacts.csv"):
        lead = leads[contact["contact_id"]]
        expected = {k: lead[k].strip() for k in ("origin", "landing_page_id") if lead[k].strip()}
        assert (json.loads(contact["custom_attributes"]) if contact["custom_attributes"] else {}) == expected
