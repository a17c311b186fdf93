"""A delivery far off the usual size must not pass silently: each raw table's rows in this load against the median
of its earlier deliveries (`raw._load_log`: one load time per delivery)."""

from __future__ import annotations

from pathlib import Path

import duckdb

LOW_SHARE = 0.1  # fewer than 10% of the usual rows: a day with 90% fewer events is flagged
HIGH_FACTOR = 10.0  # more than 10 times the usual rows
MIN_HISTORY = 3  # earlier deliveries of the table needed before a median means anything
HISTORY = 10  # earlier deliveries the median is taken over (the newest ones)


def volume_warnings(database: Path, raw_schema: str, loaded_at: object) -> list[str]:
    """One line per raw table whose delivery at `loaded_at` has under LOW_SHARE or over HIGH_FACTOR times the
    median rows of its last HISTORY earlier deliveries (with at least MIN_HISTORY of them); [] without a load log."""
    with duckdb.connect(str(database), read_only=True) as connection:
        present = connection.execute("select count(*) from duckdb_tables() where schema_name = ? "
                                     "and table_name = '_load_log'", [raw_schema]).fetchone()
        if not present or not present[0]:
            return []
        rows = connection.execute(f"""
            with deliveries as (
                select table_name, loaded_at, sum(row_count) as delivered
                from "{raw_schema}"._load_log group by table_name, loaded_at
            ),
            earlier as (
                select table_name, delivered,
                    row_number() over (partition by table_name order by loaded_at desc) as recency
                from deliveries where loaded_at < ?
            ),
            usual as (
                select table_name, median(delivered) as median_rows, count(*) as deliveries
                from earlier where recency <= {HISTORY} group by table_name
            )
            select current.table_name, current.delivered, usual.median_rows, usual.deliveries
            from deliveries as current inner join usual using (table_name)
            where current.loaded_at = ? and usual.deliveries >= {MIN_HISTORY}
                and (current.delivered < {LOW_SHARE} * usual.median_rows
                     or current.delivered > {HIGH_FACTOR} * usual.median_rows)
            order by 1""", [loaded_at, loaded_at]).fetchall()
    return [f"{table}: {int(delivered):,} rows delivered, usually {float(median):,.0f} (median of the last "
            f"{int(count)} deliveries)" for table, delivered, median, count in rows]
