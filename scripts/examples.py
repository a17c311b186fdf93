"""Real public exports through the shipped mappings: import, load and build one into a folder of its own, then
read what the warehouse qualified (`mql example`). The data sets live outside the repository (`../shared/data`
beside the checkout, or `$MQL_SHARED_DATA`); a fresh clone without them gets one clear error line.

A sample (`every=k`: every k-th data row of each lead-role file) keeps a CI run small; outcome-role files are kept
whole, so a deal of a lead left out of the sample simply finds no contact (staging quarantines it).
"""

from __future__ import annotations

import csv
import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from scripts.dbt_runner import run_dbt
from scripts.importer.mapping import load_mapping
from scripts.importer.run import run_import
from scripts.load import load_directory
from scripts.paths import PROJECT_ROOT


@dataclass(frozen=True)
class Example:
    """A shipped mapping and the folder of the public data set it reads."""

    name: str
    mapping: Path
    folder: str
    outcome: str


EXAMPLES: dict[str, Example] = {
    "olist": Example("olist", PROJECT_ROOT / "mappings" / "olist.yml", "olist_marketing_funnel",
                     "a closed deal"),
    "uci_bank": Example("uci_bank", PROJECT_ROOT / "mappings" / "uci_bank_marketing.yml", "uci_bank_marketing",
                        "a term deposit"),
    "maven_crm": Example("maven_crm", PROJECT_ROOT / "mappings" / "maven_crm.yml", "maven_crm_sales_opportunities",
                         "an opportunity"),
}


class ExampleError(RuntimeError):
    """The data set is missing or the example name is unknown; the message says which and where."""


@dataclass(frozen=True)
class ExampleFigures:
    """What the warehouse built from one export qualified with the settings it was built with."""

    name: str
    leads: int
    mqls: int
    leads_converted: int
    mqls_converted: int
    build_seconds: float

    @property
    def mql_share(self) -> float:
        return self.mqls / self.leads if self.leads else 0.0

    @property
    def conversion(self) -> float:
        return self.leads_converted / self.leads if self.leads else 0.0

    @property
    def mql_conversion(self) -> float:
        return self.mqls_converted / self.mqls if self.mqls else 0.0


def shared_data_dir() -> Path:
    """Where the public data sets are: `$MQL_SHARED_DATA`, else `shared/data` beside the checkout."""
    return Path(os.environ.get("MQL_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))


def source_dir(example: Example) -> Path:
    """The example's data folder; ExampleError when it is not there."""
    folder = shared_data_dir() / example.folder
    if not folder.is_dir():
        raise ExampleError(f"{folder}: data set not found (set MQL_SHARED_DATA to the folder holding "
                           f"{example.folder}/)")
    return folder


def sample_sources(example: Example, out: Path, every: int) -> Path:
    """A copy of the example's source files with every `every`-th data row of each lead-role file."""
    mapping = load_mapping(example.mapping)
    source = source_dir(example)
    out.mkdir(parents=True, exist_ok=True)
    for spec in mapping.sources.values():
        original = source / spec.file
        target = out / spec.file
        if spec.role == "outcome" or every <= 1:
            target.write_bytes(original.read_bytes())
            continue
        with original.open(encoding=spec.encoding, newline="") as reader, \
                target.open("w", encoding="utf-8", newline="") as writer:
            rows = csv.reader(reader, delimiter=spec.delimiter)
            output = csv.writer(writer, delimiter=spec.delimiter, lineterminator="\n")
            output.writerow(next(rows))
            for number, row in enumerate(rows):
                if number % every == 0:
                    output.writerow(row)
    return out


def run_example(name: str, out: Path, *, every: int = 1, dbt_vars: dict[str, object] | None = None) -> ExampleFigures:
    """Import, load and build example `name` into `out` (its own DuckDB file) and read the figures."""
    if name not in EXAMPLES:
        raise ExampleError(f"unknown example {name!r} (examples: {', '.join(sorted(EXAMPLES))})")
    example = EXAMPLES[name]
    sources = sample_sources(example, out / "source", every) if every > 1 else source_dir(example)
    run_import(example.mapping, sources, out / "contract")
    database = out / "warehouse.duckdb"
    previous = os.environ.get("MQL_DUCKDB_PATH")
    os.environ["MQL_DUCKDB_PATH"] = str(database)
    try:
        load_directory(out / "contract", database)
        started = time.perf_counter()
        run_dbt(["build"], dbt_vars=dbt_vars, quiet=True)
        seconds = time.perf_counter() - started
    finally:
        if previous is None:
            os.environ.pop("MQL_DUCKDB_PATH", None)
        else:
            os.environ["MQL_DUCKDB_PATH"] = previous
    return read_figures(name, database, seconds)


def read_figures(name: str, database: Path, build_seconds: float = 0.0) -> ExampleFigures:
    """Leads, scored MQLs (ever) and how many of each reached an opportunity, from the built marts."""
    with duckdb.connect(str(database), read_only=True) as connection:
        row = connection.execute("""
            select
                count(*),
                count(*) filter (where leads.has_ever_been_mql),
                count(*) filter (where lifecycle.has_reached_opportunity),
                count(*) filter (where leads.has_ever_been_mql and lifecycle.has_reached_opportunity)
            from marts.dim_leads as leads
            left join marts.dim_lead_lifecycle as lifecycle using (contact_id)
        """).fetchall()[0]
    return ExampleFigures(name, int(row[0]), int(row[1]), int(row[2]), int(row[3]), build_seconds)
