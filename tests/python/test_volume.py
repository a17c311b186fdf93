"""The volume check (`scripts/volume.py`): a delivery far off its table's usual size is flagged, a usual one and a
table without enough history are not. A small load log, no dbt: well under a second."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from scripts.volume import volume_warnings

DAY = datetime(2026, 11, 1)


def _load_log(path: Path, deliveries: dict[str, list[int]]) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute("create schema raw")
        connection.execute("create table raw._load_log (file_name varchar, file_sha256 varchar, table_name varchar, "
                           "row_count bigint, loaded_at timestamp, run_id varchar)")
        for table, counts in deliveries.items():
            for day, count in enumerate(counts):
                # a delivery may come in two files: the check sums them
                for part in (count // 2, count - count // 2):
                    connection.execute("insert into raw._load_log values (?, ?, ?, ?, ?, null)",
                                       [f"{table}__{day}.csv", f"{table}{day}{part}", table, part,
                                        DAY + timedelta(days=day)])
    return path


def test_a_day_with_90_percent_fewer_events_is_flagged(tmp_path: Path) -> None:
    database = _load_log(tmp_path / "w.duckdb", {"events": [50_000, 1_000, 1_100, 950, 80],
                                                 "contacts": [900, 40, 38, 41, 39],
                                                 "accounts": [500, 1000]})
    today = DAY + timedelta(days=4)
    assert volume_warnings(database, "raw", today) == [
        "events: 80 rows delivered, usually 1,050 (median of the last 4 deliveries)"]
    # the day before: usual for events; accounts has too little history to judge
    assert volume_warnings(database, "raw", DAY + timedelta(days=3)) == []
    assert volume_warnings(database, "raw", DAY + timedelta(days=1)) == []


def test_a_delivery_ten_times_the_usual_is_flagged_too(tmp_path: Path) -> None:
    database = _load_log(tmp_path / "w.duckdb", {"events": [1_000, 1_000, 1_000, 12_000]})
    assert volume_warnings(database, "raw", DAY + timedelta(days=3)) == [
        "events: 12,000 rows delivered, usually 1,000 (median of the last 3 deliveries)"]
