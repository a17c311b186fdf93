"""Fuzzing staging: malformed raw rows of every kind the contract admits never crash the build and are never lost:
for every raw table, raw rows = staged rows + duplicates + rejected rows."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from scripts.contract import load_contract
from scripts.dbt_runner import run_dbt
from scripts.load import load_directory
from tests.python.helpers import use_database
from tests.python.test_staging import STAGED

CONTRACT = load_contract()

ids = st.sampled_from(["C0000001", "C0000002", "A0001", "E1", "U001", "CMP0001", "S1", "O1", "SA1"])
garbage = st.one_of(st.none(), st.just(""), st.just("   "), st.sampled_from(["N/A", "#REF!", "null", "NaN", "-1"]),
                    st.text(max_size=12))
timestamps = st.one_of(
    st.sampled_from(["2026-01-05 10:00:00", "2026-01-05T10:00:00+02:00", "2026-01-05T10:00:00Z", "2026-02-30",
                     "31/02/2025", "yesterday", "2099-01-01 00:00:00", "1900-01-01", "2026-13-45 10:00:00", "-infinity",
                     "infinity", "epoch", "0001-01-01", "1970-01-01 00:00:00", "2030-06-01 09:00:00"]),
    garbage)
numbers = st.one_of(st.sampled_from(["0", "12.5", "-3", "1e3", "abc", "9999999999999999999999", "Infinity", "1e309"]),
                    garbage)
codes = st.one_of(st.sampled_from(["Page View", "email_open", "Demo Request", "Sales Accepted", "Recycled", "Call",
                                   "Closed Won", "Paid Search", "USD", "EUR", "true", "no", "gmail.com"]), garbage)


def _value_strategy(column: str) -> st.SearchStrategy[str | None]:
    if column.endswith("_id"):
        return st.one_of(ids, garbage)
    if column.endswith(("_at", "_date")):
        return timestamps
    if column in {"amount", "employee_count", "annual_revenue", "duration_seconds"}:
        return numbers
    if column == "email":
        return st.one_of(st.sampled_from(["a@b.com", " A@B.com ", "a@b", "x y@z.com", "@", "ü@é.de"]), garbage)
    return st.one_of(codes, garbage)


def _table_strategy(name: str) -> st.SearchStrategy[list[dict[str, str | None]]]:
    row = st.fixed_dictionaries({c: _value_strategy(c) for c in CONTRACT[name].column_names})
    # duplicates matter: repeat some rows verbatim
    return st.lists(row, min_size=1, max_size=15).flatmap(
        lambda rows: st.lists(st.sampled_from(rows), min_size=0, max_size=5).map(lambda extra: rows + extra))


raw_data = st.fixed_dictionaries({name: _table_strategy(name) for name in STAGED})


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A DuckDB file with the seeds built, copied for every example."""
    database = tmp_path_factory.mktemp("fuzz") / "template.duckdb"
    with use_database(database):
        run_dbt(["seed"], quiet=True)
    return database


# No shrinking: each example is a dbt run; a failure prints its full example instead.
@settings(max_examples=6, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=raw_data)
def test_malformed_rows_are_never_lost(data: dict[str, list[dict[str, str | None]]], seeded_template: Path,
                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    work = tmp_path_factory.mktemp("example")
    files = work / "files"
    files.mkdir()
    for table, rows in data.items():
        columns = CONTRACT[table].column_names
        pq.write_table(pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in columns}),
                       files / f"{table}.parquet")
    database = work / "w.duckdb"
    shutil.copy(seeded_template, database)
    load_directory(files, database)
    with use_database(database):
        run_dbt(["run", "--select", "staging"], quiet=True)
    with duckdb.connect(str(database), read_only=True) as connection:
        for table, model in STAGED.items():
            raw = connection.execute(f"select count(*) from raw.{table}").fetchone()[0]
            staged = connection.execute(f"select count(*) from staging.{model}").fetchone()[0]
            removed = connection.execute(
                "select count(*) from staging.stg_quarantine__rows where source_table = ?", [table]).fetchone()[0]
            assert raw == len(data[table])
            assert raw == staged + removed, table
        unexplained = connection.execute(
            "select count(*) from staging.stg_quarantine__rows where reason_code is null").fetchone()[0]
        assert unexplained == 0


NON_FINITE = ["NaN", "Infinity", "-inf", "1e309"]


def test_non_finite_amounts_never_reach_a_sum(seeded_template: Path, tmp_path: Path) -> None:
    """Spend of 'NaN', 'Infinity' or '1e309' is quarantined as an invalid amount; such a deal amount is no amount
    (the deal still counts). Before, they were staged and every later funnel total was NaN or infinite."""
    files = tmp_path / "files"
    files.mkdir()
    amounts = [*NON_FINITE, "12.5"]
    pq.write_table(pa.table({"spend_date": ["2026-01-05"] * len(amounts), "channel": ["Paid Search"] * len(amounts),
                             "campaign_id": [f"CMP000{n}" for n in range(len(amounts))], "amount": amounts,
                             "currency": ["USD"] * len(amounts)}), files / "marketing_spend.parquet")
    pq.write_table(pa.table({"opportunity_id": [f"O{n}" for n in range(len(amounts))], "amount": amounts,
                             "stage": ["Closed Won"] * len(amounts), "created_at": ["2026-01-05 10:00:00"] * len(amounts),
                             "updated_at": ["2026-01-06 10:00:00"] * len(amounts)}), files / "opportunities.parquet")
    database = tmp_path / "w.duckdb"
    shutil.copy(seeded_template, database)
    load_directory(files, database)
    with use_database(database):
        run_dbt(["run", "--select", "staging"], quiet=True)
    with duckdb.connect(str(database), read_only=True) as connection:
        spend = connection.execute("select list(amount_usd) from staging.stg_marketing__marketing_spend").fetchone()[0]
        quarantined = connection.execute(
            "select count(*) from staging.stg_quarantine__rows where source_table = 'marketing_spend' "
            "and reason_code = 'invalid_amount'").fetchone()[0]
        deals = dict(connection.execute(
            "select opportunity_id, amount_usd from staging.stg_crm__opportunities").fetchall())
    assert spend == [12.5]
    assert quarantined == len(NON_FINITE)
    assert deals == {**{f"O{n}": None for n in range(len(NON_FINITE))}, f"O{len(NON_FINITE)}": 12.5}


def _write(files: Path, table: str, rows: list[dict[str, str]]) -> None:
    columns = sorted({c for row in rows for c in row})
    pq.write_table(pa.table({c: pa.array([row.get(c) for row in rows], pa.string()) for c in columns}),
                   files / f"{table}.parquet")


def test_out_of_range_times_are_quarantined_and_the_build_stays_green(tmp_path: Path) -> None:
    """Placeholder dates (year 1, 1900, the epoch), words (`-infinity`, `epoch`) and times after the load are
    quarantined with a reason in events, contact versions and stage changes; a contact version "updated" in 2030
    no longer outranks the real one; unusable optional values of kept rows are listed in stg_quarantine__values;
    the whole build (tests included) passes. Before, `-infinity` failed a not-null
    test and the 2030 version won."""
    files = tmp_path / "files"
    files.mkdir()
    contact = {"email": "ada@example.com", "created_at": "2026-01-02 09:00:00"}
    _write(files, "contacts", [
        {**contact, "contact_id": "C1", "job_title": "CEO", "updated_at": "2026-01-05 10:00:00",
         "has_budget_authority": "perhaps"},
        {**contact, "contact_id": "C1", "job_title": "Intern", "updated_at": "2030-01-01 00:00:00"},
        {**contact, "contact_id": "C2", "email": "bob@example.com", "created_at": "1900-01-01",
         "updated_at": "2026-01-05 10:00:00"},
    ])
    event_times = {"E1": "2026-01-06 10:00:00", "E2": "-infinity", "E3": "0001-01-01 00:00:00", "E4": "epoch",
                   "E5": "1970-01-01 00:00:00", "E6": "2099-01-01 00:00:00", "E7": "infinity"}
    _write(files, "events", [{"event_id": event, "contact_id": "C1", "event_type": "page_view", "url": "/pricing",
                              "occurred_at": at, "duration_seconds": "abc" if event == "E1" else None,
                              "properties": "[1, 2]" if event == "E1" else None}
                             for event, at in event_times.items()])
    _write(files, "lead_stage_history", [
        {"stage_change_id": "S1", "contact_id": "C1", "stage": "MQL", "changed_at": "2026-01-07 10:00:00"},
        {"stage_change_id": "S2", "contact_id": "C1", "stage": "SQL", "changed_at": "1900-01-01 00:00:00"},
    ])
    database = tmp_path / "w.duckdb"
    load_directory(files, database)
    with use_database(database):
        run_dbt(["build"], quiet=True)
    with duckdb.connect(str(database), read_only=True) as connection:
        reasons = dict(connection.execute(
            "select coalesce(source_key, '') || '@' || source_table, reason_code from staging.stg_quarantine__rows "
            "where removal_kind = 'rejected'").fetchall())
        title = connection.execute("select job_title from staging.stg_crm__contacts where contact_id = 'C1'").fetchone()
        events = [e for (e,) in connection.execute("select event_id from staging.stg_marketing__events").fetchall()]
        values = set(connection.execute(
            "select source_table, column_name, reason_code, raw_value from staging.stg_quarantine__values").fetchall())
    assert title == ("CEO",)
    # optional values that could not be used in kept rows are counted, not nulled silently
    assert values == {("contacts", "has_budget_authority", "not_a_boolean", "perhaps"),
                      ("events", "duration_seconds", "not_a_number", "abc"),
                      ("events", "properties", "not_a_json_object", "[1, 2]")}
    assert events == ["E1"]
    assert reasons == {
        "C1@contacts": "future_timestamp", "C2@contacts": "timestamp_before_floor",
        "E2@events": "invalid_timestamp", "E3@events": "timestamp_before_floor", "E4@events": "invalid_timestamp",
        "E5@events": "timestamp_before_floor", "E6@events": "future_timestamp", "E7@events": "invalid_timestamp",
        "S2@lead_stage_history": "timestamp_before_floor"}
