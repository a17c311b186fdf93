"""Staging keeps every usable row once and accounts for every other raw row in the quarantine."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from scripts.dbt_runner import DbtError, run_dbt
from tests.python.helpers import use_database

STAGED = {
    "contacts": "stg_crm__contacts",
    "accounts": "stg_crm__accounts",
    "lead_stage_history": "stg_crm__lead_stage_history",
    "opportunities": "stg_crm__opportunities",
    "sales_activities": "stg_crm__sales_activities",
    "sales_reps": "stg_crm__sales_reps",
    "events": "stg_marketing__events",
    "campaigns": "stg_marketing__campaigns",
    "marketing_spend": "stg_marketing__marketing_spend",
}


def _removed(connection: duckdb.DuckDBPyConnection, kind: str) -> dict[str, dict[str, int]]:
    result: dict[str, dict[str, int]] = {}
    for table, reason, n in connection.execute(
        "select source_table, reason_code, count(*) from staging.stg_quarantine__rows "
        "where removal_kind = ? group by all", [kind]
    ).fetchall():
        result.setdefault(table, {})[reason] = n
    return result


def test_quarantine_matches_the_generators_injected_defects(built_warehouse: Path, generated_dir: Path) -> None:
    manifest = json.loads((generated_dir / "_manifest.json").read_text(encoding="utf-8"))
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        rejected = _removed(connection, "rejected")
        duplicates = _removed(connection, "duplicate")
    expected_rejected = {t: {r: n for r, n in v.items() if n} for t, v in manifest["expected_quarantine"].items()}
    expected_duplicates = {t: {r: n for r, n in v.items() if n} for t, v in manifest["expected_duplicates"].items()}
    assert rejected == {t: v for t, v in expected_rejected.items() if v}
    assert duplicates == {t: v for t, v in expected_duplicates.items() if v}


def test_raw_rows_equal_staged_plus_removed_for_every_table(built_warehouse: Path) -> None:
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        for table, model in STAGED.items():
            raw = connection.execute(f"select count(*) from raw.{table}").fetchone()[0]
            staged = connection.execute(f"select count(*) from staging.{model}").fetchone()[0]
            removed = connection.execute(
                "select count(*) from staging.stg_quarantine__rows where source_table = ?", [table]).fetchone()[0]
            assert raw == staged + removed, table
            assert staged > 0, table


def test_mixed_time_zones_are_normalised_to_utc(built_warehouse: Path) -> None:
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select r.occurred_at, s.occurred_at from raw.events r join staging.stg_marketing__events s "
            "using (event_id) where r.occurred_at like '%+%' or r.occurred_at like '%Z' limit 50").fetchall()
    assert rows, "the fixture has offset timestamps"
    for raw_value, staged in rows:
        expected = duckdb.execute(f"select timezone('UTC', timestamptz '{raw_value}')").fetchone()[0]
        assert staged == expected


def test_merged_duplicate_contacts_resolve_to_one_contact(built_warehouse: Path) -> None:
    with duckdb.connect(str(built_warehouse), read_only=True) as connection:
        merged = connection.execute(
            "select count(*) from staging.stg_crm__contact_map where is_merged").fetchone()[0]
        repeated_emails = connection.execute(
            "select count(*) from (select email from staging.stg_crm__contacts group by email having count(*) > 1)"
        ).fetchone()[0]
        events_on_merged = connection.execute(
            "select count(*) from staging.stg_marketing__events e join staging.stg_crm__contact_map m "
            "on e.contact_id = m.contact_id where m.is_merged").fetchone()[0]
    assert merged > 0
    assert repeated_emails == 0
    assert events_on_merged == 0


def test_reconciliation_test_fails_when_staging_loses_a_row(built_warehouse: Path, tmp_path: Path) -> None:
    """The `reconciles_with_source` test catches a staging model that silently drops rows."""
    broken = tmp_path / "broken.duckdb"
    shutil.copy(built_warehouse, broken)
    with duckdb.connect(str(broken)) as connection:  # CRM staging is a table: a clean row goes missing
        connection.execute("delete from staging.stg_crm__accounts "
                           "where account_id = (select min(account_id) from staging.stg_crm__accounts)")
    with use_database(broken):
        run_dbt(["test", "--select", "stg_crm__contacts,test_name:reconciles_with_source"], quiet=True)
        with pytest.raises(DbtError, match="reconciles_with_source_stg_crm__accounts"):
            run_dbt(["test", "--select", "stg_crm__accounts,test_name:reconciles_with_source"], quiet=True)


def test_unique_combination_test_fails_on_a_repeated_key(built_warehouse: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.duckdb"
    shutil.copy(built_warehouse, broken)
    with duckdb.connect(str(broken)) as connection:
        connection.execute("insert into staging.base_marketing__events "
                           "select * from staging.base_marketing__events limit 1")
    with use_database(broken), pytest.raises(DbtError, match="unique_combination_of_columns_base_marketing__events"):
        run_dbt(["test", "--select", "base_marketing__events,test_name:unique_combination_of_columns"], quiet=True)
