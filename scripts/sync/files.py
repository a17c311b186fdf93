"""`mql sync --to hubspot|salesforce`: the changes a CRM has not had yet as one CSV file in its import shape.

A CRM's import upserts records, not changes, so the file has one row per lead with changes pending: its latest
values (the stage of its latest stage change, the grade and points of its latest graded change, the time of its
latest MQL). Which CRM column takes which value, and the CRM's spelling of each stage, come from a mapping YAML
(`mappings/crm/hubspot.yml`, `mappings/crm/salesforce.yml`; copy and edit one for your portal or org). Writing
the file is the delivery: its changes are recorded as acknowledged in the delivery log (`scripts.sync.feed`), so
the next export holds only what changed since. A retraction (a change the warehouse no longer has) cannot be
expressed in an import file: it is counted and acknowledged, and the README says so.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from scripts.lock import exclusive_lock
from scripts.sync.feed import SyncError, new_batches, open_log, pending, record_batch, record_outcome

SOURCES: tuple[str, ...] = ("contact_id", "lifecycle_stage", "grade_cell", "fit_score", "engagement_score",
                            "total_score", "mql_at", "change_kind")
FORMATS: tuple[str, ...] = ("text", "date", "datetime")
MQL_KINDS: tuple[str, ...] = ("became_mql", "requalified")


@dataclass(frozen=True)
class CrmColumn:
    """One column of the import file: its header, the lead value it takes, how that value is spelled there."""

    column: str
    source: str
    values: Mapping[str, str] | None = None
    format: str = "text"


@dataclass(frozen=True)
class CrmMapping:
    """A CRM's import shape: the file name, the key column (matched to an existing record) and the columns."""

    path: Path
    name: str
    file: str
    key: CrmColumn
    columns: tuple[CrmColumn, ...]

    @property
    def headers(self) -> list[str]:
        return [self.key.column, *(column.column for column in self.columns)]


def _column(path: Path, where: str, raw: object) -> CrmColumn:
    if not isinstance(raw, dict) or not isinstance(raw.get("column"), str) or not raw["column"].strip():
        raise SyncError(f"{path.name}: {where}: needs `column` (the CRM's header) and `from`")
    unknown = sorted(set(raw) - {"column", "from", "values", "format"})
    if unknown:
        raise SyncError(f"{path.name}: {where}: unknown key '{unknown[0]}' (column, from, values, format)")
    source, values, kind = raw.get("from"), raw.get("values"), str(raw.get("format", "text"))
    if source not in SOURCES:
        raise SyncError(f"{path.name}: {where}: from '{source}' is not a lead value (one of {', '.join(SOURCES)})")
    if values is not None and not (isinstance(values, dict) and all(isinstance(v, str) for v in values.values())):
        raise SyncError(f"{path.name}: {where}: values must map our value to the CRM's text, e.g. {{mql: ...}}")
    if kind not in FORMATS:
        raise SyncError(f"{path.name}: {where}: format '{kind}' is not one of {', '.join(FORMATS)}")
    return CrmColumn(raw["column"].strip(), str(source), {str(k): v for k, v in values.items()} if values else None,
                     kind)


def load_crm_mapping(path: Path) -> CrmMapping:
    """Read and check a CRM mapping file; one error line naming the file and entry otherwise."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise SyncError(f"{path}: cannot read the CRM mapping: {str(error).splitlines()[0]}") from error
    if not isinstance(document, dict):
        raise SyncError(f"{path.name}: expected a YAML mapping with name, file, key and columns")
    unknown = sorted(set(document) - {"name", "file", "key", "columns"})
    if unknown:
        raise SyncError(f"{path.name}: unknown top-level key '{unknown[0]}' (name, file, key, columns)")
    file = str(document.get("file") or "")
    if not file.endswith(".csv") or Path(file).name != file:
        raise SyncError(f"{path.name}: file: '{file}' must be a plain file name ending in .csv")
    columns = document.get("columns")
    if not isinstance(columns, list) or not columns:
        raise SyncError(f"{path.name}: columns: a list of {{column, from}} entries is required")
    parsed = tuple(_column(path, f"columns[{index}]", raw) for index, raw in enumerate(columns))
    key = _column(path, "key", document.get("key"))
    headers = [key.column, *(column.column for column in parsed)]
    repeated = sorted({header for header in headers if headers.count(header) > 1})
    if repeated:
        raise SyncError(f"{path.name}: column '{repeated[0]}' appears twice")
    return CrmMapping(path, str(document.get("name") or path.stem), file, key, parsed)


def latest_values(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per contact, the values its pending upserts leave (applied in time order)."""
    leads: dict[str, dict[str, Any]] = {}
    for item in sorted((i for i in items if i["operation"] == "upsert"), key=lambda i: (i["changed_at"],
                                                                                          i["change_id"])):
        lead = leads.setdefault(item["contact_id"], {"contact_id": item["contact_id"]})
        lead["change_kind"] = item["change_kind"]
        if item.get("lifecycle_stage"):
            lead["lifecycle_stage"] = item["lifecycle_stage"]
        if item.get("grade_cell"):
            lead.update({key: item[key] for key in ("grade_cell", "fit_score", "engagement_score", "total_score")})
        if item["change_kind"] in MQL_KINDS:
            lead["mql_at"] = item["changed_at"]
    return leads


def _cell(column: CrmColumn, lead: Mapping[str, Any]) -> str:
    value = lead.get(column.source)
    if value is None:
        return ""
    if column.values is not None:
        return column.values.get(str(value), "")
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".")
    text = str(value)
    if column.format == "date":
        return text[:10]
    if column.format == "datetime":
        return text  # ISO 8601 UTC with Z, as the feed gives it
    return text


def write_file(mapping: CrmMapping, leads: dict[str, dict[str, Any]], out: Path, stamp: str) -> Path:
    """`<file stem>_<stamp>.csv` in `out`, written whole to a temporary name first, then renamed."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{Path(mapping.file).stem}_{stamp}.csv"
    partial = target.with_name(f".{target.name}.partial")
    with partial.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(mapping.headers)
        for contact_id in sorted(leads):
            lead = leads[contact_id]
            writer.writerow([_cell(mapping.key, lead), *(_cell(column, lead) for column in mapping.columns)])
    os.replace(partial, target)
    return target


@dataclass(frozen=True)
class FileExport:
    """What an export wrote: the file (None when nothing was pending), leads, changes and retractions in it."""

    path: Path | None
    leads: int
    changes: int
    retractions: int


def sync_file(changes: Path, state: Path, mapping: CrmMapping, out: Path) -> FileExport:
    """Write the changes `mapping.name` has not had as one import file in `out` and record them as delivered."""
    with exclusive_lock(state.with_name(state.name + ".lock")), open_log(state, changes) as connection:
        items = pending(connection, mapping.name)
        if not items:
            return FileExport(None, 0, 0, 0)
        leads = latest_values(items)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = write_file(mapping, leads, out, stamp)
        batch = new_batches(items, mapping.name, len(items))[0]
        record_batch(connection, batch)
        record_outcome(connection, batch, "acknowledged", None)
    retractions = sum(1 for item in items if item["operation"] == "retract")
    return FileExport(path, len(leads), len(items) - retractions, retractions)
