"""The raw data contract, read from the dbt sources YAML so that the loader and dbt share one definition."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from scripts.paths import SOURCE_YAML_FILES


@dataclass(frozen=True)
class ContractColumn:
    """One raw column: its name, whether a file must have it, and the type staging casts it to."""

    name: str
    required: bool
    logical_type: str
    description: str


@dataclass(frozen=True)
class ContractTable:
    """One raw table of the contract (one file name the loader accepts)."""

    source_name: str
    name: str
    columns: tuple[ContractColumn, ...]

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [column.name for column in self.columns if column.required]


class ContractError(ValueError):
    """The sources YAML itself is malformed."""


def load_contract(files: tuple[Path, ...] = SOURCE_YAML_FILES) -> dict[str, ContractTable]:
    """Read every source table and column from the sources YAML files, keyed by table name."""
    tables: dict[str, ContractTable] = {}
    for path in files:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for source in document.get("sources", []):
            for table in source.get("tables", []):
                columns = tuple(_column(path, table["name"], column) for column in table.get("columns", []))
                if not columns:
                    raise ContractError(f"{path}: table '{table['name']}' documents no columns")
                if table["name"] in tables:
                    raise ContractError(f"{path}: table '{table['name']}' is declared twice in the contract")
                tables[table["name"]] = ContractTable(source["name"], table["name"], columns)
    return tables


def _column(path: Path, table: str, column: dict) -> ContractColumn:
    meta = column.get("meta") or {}
    if "required" not in meta:
        raise ContractError(f"{path}: column '{table}.{column.get('name')}' has no meta.required flag")
    return ContractColumn(
        name=column["name"],
        required=bool(meta["required"]),
        logical_type=str(meta.get("logical_type", "varchar")),
        description=str(column.get("description", "")),
    )
