"""Synthetic raw CRM + marketing-automation export for mql-warehouse (``mql generate``).

``generate_dataset(out_dir, contacts, seed, ...)`` writes one file per raw table plus ``_manifest.json``;
``MessyConfig`` holds the rates of injected messy rows.
"""

from .config import GENERATOR_VERSION, TABLES, MessyConfig
from .pipeline import generate_dataset

__all__ = ["GENERATOR_VERSION", "TABLES", "MessyConfig", "generate_dataset"]
