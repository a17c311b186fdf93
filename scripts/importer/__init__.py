"""`mql import`: map a real CRM or marketing-automation export onto the raw data contract with a YAML mapping
(renames, value maps, date formats, wide activity columns turned into events), reporting unmappable rows."""

from scripts.importer.mapping import OUTCOME_TABLES, Mapping, MappingError, load_mapping
from scripts.importer.run import ImportReport, TableReport, run_import

__all__ = ["OUTCOME_TABLES", "ImportReport", "Mapping", "MappingError", "TableReport", "load_mapping", "run_import"]
