"""Point-in-time builds: `as_of = T` on the full data equals a build on the data truncated at T."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scripts.dbt_runner import run_dbt
from scripts.generate import MessyConfig, generate_dataset
from scripts.load import load_directory
from tests.python.helpers import MARKER_COLUMNS, use_database

AS_OF = "2026-02-15 12:00:00"
MARTS = {
    "dim_leads": "contact_id",
    "fct_mql_events": "mql_event_id",
    "fct_lead_score_components": "score_component_id",
    "fct_lead_score_history": "score_history_id",
}
# Facts are cut at their own time; records (contacts, accounts) keep what had been created by T.
CUT_COLUMNS = {
    "events": "occurred_at",
    "lead_stage_history": "changed_at",
    "sales_activities": "occurred_at",
    "opportunities": "created_at",
    "contacts": "created_at",
    "accounts": "created_at",
}


def _parse(values: pa.ChunkedArray) -> list[datetime | None]:
    out: list[datetime | None] = []
    for value in values.to_pylist():
        try:
            parsed = datetime.fromisoformat(value) if value else None
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            parsed = (parsed - parsed.utcoffset()).replace(tzinfo=None)  # type: ignore[operator]
        out.append(parsed)
    return out


def _truncate(source: Path, target: Path, cutoff: datetime) -> None:
    target.mkdir()
    for path in source.glob("*.parquet"):
        table = pq.read_table(path)
        column = CUT_COLUMNS.get(path.stem)
        if column is not None:
            keep = [t is not None and t <= cutoff for t in _parse(table[column])]
            table = table.filter(pa.array(keep))
            if path.stem == "contacts":  # later versions of a contact written after T were not known at T
                updated = _parse(table["updated_at"])
                ids = table["contact_id"].to_pylist()
                first_seen: dict[str, datetime] = {}
                for contact_id, at in zip(ids, updated, strict=True):
                    if at is not None and (contact_id not in first_seen or at < first_seen[contact_id]):
                        first_seen[contact_id] = at
                table = table.filter(pa.array([
                    at is not None and (at <= cutoff or at == first_seen.get(contact_id))
                    for contact_id, at in zip(ids, updated, strict=True)]))
        pq.write_table(table, target / path.name)


def _mart_rows(database: Path, mart: str, key: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        columns = [name for (name,) in connection.execute(
            "select column_name from duckdb_columns() where schema_name = 'marts' and table_name = ? "
            "order by column_index", [mart]).fetchall() if name not in MARKER_COLUMNS]
        return connection.execute(f"select {', '.join(columns)} from marts.{mart} order by {key}").fetchall()


@pytest.fixture(scope="module")
def clean_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pit-data")
    generate_dataset(out, contacts=300, seed=5, events_per_contact=30.0, messy=MessyConfig.none(), progress=False)
    return out


def _build(data: Path, database: Path) -> None:
    load_directory(data, database)
    with use_database(database):
        run_dbt(["build", "--exclude", "test_type:unit"], dbt_vars={"as_of": AS_OF},
                quiet=True)


def test_as_of_equals_a_build_on_truncated_data(clean_data: Path, tmp_path: Path) -> None:
    full_db = tmp_path / "full.duckdb"
    cut_db = tmp_path / "cut.duckdb"
    _build(clean_data, full_db)
    truncated = tmp_path / "truncated"
    _truncate(clean_data, truncated, datetime.fromisoformat(AS_OF))
    _build(truncated, cut_db)
    for mart, key in MARTS.items():
        full_rows = _mart_rows(full_db, mart, key)
        cut_rows = _mart_rows(cut_db, mart, key)
        assert len(full_rows) > 0, mart
        assert len(full_rows) == len(cut_rows), mart
        for full_row, cut_row in zip(full_rows, cut_rows, strict=True):
            assert _same(full_row, cut_row), (mart, full_row, cut_row)


def _same(left: tuple, right: tuple) -> bool:
    for a, b in zip(left, right, strict=True):
        if isinstance(a, float) and isinstance(b, float):
            if abs(a - b) > 1e-9:
                return False
        elif a != b:
            return False
    return True


def test_no_event_after_as_of_leaks_in(clean_data: Path, tmp_path: Path) -> None:
    database = tmp_path / "full.duckdb"
    _build(clean_data, database)
    with duckdb.connect(str(database), read_only=True) as connection:
        later = connection.execute(
            "select count(*) from intermediate.int_events_scored where occurred_at > timestamp '" + AS_OF + "'"
        ).fetchone()[0]
        latest_mql = connection.execute("select max(qualified_at) from marts.fct_mql_events").fetchone()[0]
        staged_later = connection.execute(
            "select count(*) from staging.stg_marketing__events where occurred_at > timestamp '" + AS_OF + "'"
        ).fetchone()[0]
    assert staged_later > 0  # the data does continue after T
    assert later == 0
    assert latest_mql <= datetime.fromisoformat(AS_OF)
