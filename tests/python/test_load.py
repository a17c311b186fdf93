"""The loader: contract validation errors name file and column, and a failed load leaves nothing half loaded."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from scripts.contract import load_contract
from scripts.load import LoadError, load_directory


def _raw_counts(database: Path) -> dict[str, int]:
    with duckdb.connect(str(database), read_only=True) as connection:
        names = [r[0] for r in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'").fetchall()]
        return {n: connection.execute(f'select count(*) from raw."{n}"').fetchone()[0] for n in names}


def test_loads_every_contract_table(generated_dir: Path, tmp_path: Path) -> None:
    database = tmp_path / "w.duckdb"
    report = load_directory(generated_dir, database)
    contract = load_contract()
    assert set(report.rows) == set(contract)
    counts = _raw_counts(database)
    for table, n in report.rows.items():
        assert counts[table] == n
        assert n > 0, table
    with duckdb.connect(str(database), read_only=True) as connection:
        columns = [r[0] for r in connection.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' "
            "and table_name = 'contacts' order by ordinal_position").fetchall()]
    assert columns == [*contract["contacts"].column_names, "_loaded_at", "_source_file", "_source_row"]


def test_csv_and_parquet_land_the_same_rows(generated_dir: Path, tmp_path: Path) -> None:
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    for name in ("contacts", "accounts"):
        pq.read_table(generated_dir / f"{name}.parquet").to_pandas().to_csv(csv_dir / f"{name}.csv", index=False)
    database = tmp_path / "csv.duckdb"
    load_directory(csv_dir, database)
    with duckdb.connect(str(database), read_only=True) as connection:
        from_csv = connection.execute("select * exclude (_loaded_at, _source_file) from raw.contacts "
                                      "order by _source_row").fetchall()
    parquet_rows = pq.read_table(generated_dir / "contacts.parquet").to_pylist()
    assert len(from_csv) == len(parquet_rows)
    names = load_contract()["contacts"].column_names
    for got, expected in zip(from_csv, parquet_rows, strict=True):
        for index, name in enumerate(names):  # optional columns the generator leaves out load as null
            assert (got[index] or None) == (expected.get(name) or None), name


def _copy(generated_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(generated_dir, target)
    return target


def test_missing_required_column_names_file_and_column(generated_dir: Path, tmp_path: Path) -> None:
    data = _copy(generated_dir, tmp_path)
    table = pq.read_table(data / "events.parquet").drop_columns(["occurred_at"])
    pq.write_table(table, data / "events.parquet")
    with pytest.raises(LoadError, match=r"events\.parquet: missing required column 'occurred_at'"):
        load_directory(data, tmp_path / "w.duckdb")


def test_unknown_file_is_rejected(generated_dir: Path, tmp_path: Path) -> None:
    data = _copy(generated_dir, tmp_path)
    (data / "leads_export.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(LoadError, match=r"leads_export\.csv: unknown file"):
        load_directory(data, tmp_path / "w.duckdb")


def test_unreadable_file_is_rejected(generated_dir: Path, tmp_path: Path) -> None:
    data = _copy(generated_dir, tmp_path)
    (data / "accounts.parquet").write_bytes(b"this is not parquet")
    with pytest.raises(LoadError, match=r"accounts\.parquet: unreadable file"):
        load_directory(data, tmp_path / "w.duckdb")


def test_failed_load_leaves_previous_raw_data_intact(generated_dir: Path, tmp_path: Path) -> None:
    database = tmp_path / "w.duckdb"
    load_directory(generated_dir, database)
    before = _raw_counts(database)
    data = _copy(generated_dir, tmp_path)
    # A file whose values cannot even be cast to text row by row cannot exist, so break the load at insert time:
    # a CSV with a ragged row passes the header check but fails while inserting, after other tables were written.
    (data / "sales_reps.parquet").unlink()
    (data / "sales_reps.csv").write_text("owner_id,updated_at\nU1,2026-01-01\nU2,2026-01-01,extra,fields\n",
                                         encoding="utf-8")
    with pytest.raises(LoadError, match=r"sales_reps\.csv"):
        load_directory(data, database)
    assert _raw_counts(database) == before


def test_optional_columns_may_be_absent(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    required = load_contract()["sales_reps"].required_columns
    pq.write_table(pa.table({c: ["U1" if c == "owner_id" else "2026-01-01"] for c in required}),
                   data / "sales_reps.parquet")
    report = load_directory(data, tmp_path / "w.duckdb")
    assert report.rows["sales_reps"] == 1
    assert any("optional columns absent" in w for w in report.warnings)
    assert any("no file for table 'events'" in w for w in report.warnings)


def test_a_file_name_loaded_again_keeps_the_raw_row_identity_unique(tmp_path: Path) -> None:
    """A scheduled export written under the same name each time: every delivery's rows land, labelled apart, and
    (`_source_file`, `_source_row`) stays unique; loading the same content again adds nothing."""
    database = tmp_path / "w.duckdb"
    required = load_contract()["events"].required_columns
    for day in ("01", "02", "02"):
        data = tmp_path / f"day{day}"
        data.mkdir(exist_ok=True)
        pq.write_table(pa.table({c: [f"E{day}-{n}" if c == "event_id" else f"2026-01-{day}" for n in range(3)]
                                 for c in required}), data / "events.parquet")
        load_directory(data, database, mode="append")
    with duckdb.connect(str(database), read_only=True) as connection:
        rows, identities, files = connection.execute(
            "select count(*), count(distinct (_source_file, _source_row)), list(distinct _source_file order by _source_file) "
            "from raw.events").fetchone()
        logged = connection.execute("select list(file_name order by loaded_at, file_name) from raw._load_log "
                                    "where table_name = 'events'").fetchone()[0]
    assert rows == 6 and identities == 6, (rows, identities)
    assert files[0] == "events.parquet" and files[1].startswith("events.parquet@") and len(files) == 2, files
    assert sorted(logged) == sorted(files), logged


def test_typed_timestamps_land_as_utc_text_whatever_the_host_time_zone(tmp_path: Path) -> None:
    """A file whose timestamps are typed (with a zone) lands as the same UTC text on a host in New York."""
    import os
    import subprocess
    import sys
    from datetime import UTC, datetime

    from scripts.paths import PROJECT_ROOT

    data = tmp_path / "data"
    data.mkdir()
    required = load_contract()["events"].required_columns
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)  # 22:04 the day before in New York
    columns: dict[str, pa.Array] = {c: pa.array([f"E{n}" for n in range(2)]) for c in required if c != "occurred_at"}
    columns["occurred_at"] = pa.array([moment, moment], type=pa.timestamp("us", tz="UTC"))
    pq.write_table(pa.table(columns), data / "events.parquet")
    landed = {}
    for zone in ("UTC", "America/New_York"):
        database = tmp_path / f"{zone.replace('/', '_')}.duckdb"
        env = dict(os.environ, TZ=zone, MQL_DUCKDB_PATH=str(database))
        done = subprocess.run([sys.executable, "-m", "scripts.cli", "load", str(data)], cwd=PROJECT_ROOT, env=env,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        with duckdb.connect(str(database), read_only=True) as connection:
            landed[zone] = [value for (value,) in connection.execute("select occurred_at from raw.events").fetchall()]
    assert landed["America/New_York"] == landed["UTC"]
    assert all(value.startswith("2026-01-02 03:04:05") for value in landed["UTC"]), landed
