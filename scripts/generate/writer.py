"""Deterministic writers: one Parquet (all-string, snappy) or CSV (UTF-8, header) file per table, plus the
manifest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, Self

import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from .config import TABLES

Format = Literal["parquet", "csv"]
MANIFEST = "_manifest.json"


def schema_for(table: str) -> pa.Schema:
    """All columns of a raw table as nullable strings, in contract order."""
    return pa.schema([pa.field(c, pa.string()) for c in TABLES[table]])


class TableWriter:
    """Streams batches of one table to ``DIR/<table>.<fmt>``; each Parquet batch becomes one row group.

    Missing values are null in Parquet and an empty, unquoted field in CSV (an empty string is written
    ``""``).
    """

    def __init__(self, out_dir: Path, table: str, fmt: Format) -> None:
        self.table = table
        self.schema = schema_for(table)
        self.path = out_dir / f"{table}.{fmt}"
        self.rows = 0
        self._writer: pq.ParquetWriter | pcsv.CSVWriter
        if fmt == "parquet":
            self._writer = pq.ParquetWriter(
                self.path,
                self.schema,
                compression="snappy",
                version="2.6",
                use_dictionary=True,
                write_statistics=True,
                data_page_version="1.0",
            )
        elif fmt == "csv":
            self._writer = pcsv.CSVWriter(
                self.path, self.schema, write_options=pcsv.WriteOptions(include_header=True)
            )
        else:
            raise ValueError(f"unknown format {fmt!r}")

    def write(self, columns: dict[str, pa.Array]) -> None:
        """Append one batch (a dict with every column of the table)."""
        missing = [c for c in self.schema.names if c not in columns]
        if missing:
            raise KeyError(f"{self.table}: missing columns {missing}")
        arrays = [columns[c].cast(pa.string()) for c in self.schema.names]
        batch = pa.Table.from_arrays(arrays, schema=self.schema)
        if batch.num_rows == 0 and self.rows > 0:
            return
        if isinstance(self._writer, pq.ParquetWriter):
            self._writer.write_table(batch, row_group_size=max(batch.num_rows, 1))
        else:
            self._writer.write_table(batch)
        self.rows += batch.num_rows

    def close(self) -> None:
        """Finish the file."""
        self._writer.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_table(out_dir: Path, table: str, fmt: Format, columns: dict[str, pa.Array]) -> int:
    """Write a whole table in one go; returns the number of rows."""
    with TableWriter(out_dir, table, fmt) as w:
        w.write(columns)
        return w.rows


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> None:
    """``DIR/_manifest.json`` (keys in insertion order, stable formatting)."""
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (out_dir / MANIFEST).write_text(text, encoding="utf-8")
