"""`mql docs`: the dbt docs site as one static page (`dbt docs generate --static`), copied to where people look."""

from __future__ import annotations

import shutil
from pathlib import Path

from scripts.dbt_runner import run_dbt
from scripts.paths import WAREHOUSE_DIR
from scripts.report.config import dbt_target_dir

DEFAULT_DOCS_DIR: Path = WAREHOUSE_DIR / "docs"
STATIC_PAGE = "static_index.html"


def generate_docs(out_dir: Path = DEFAULT_DOCS_DIR, *, target_path: Path | None = None,
                  quiet: bool = True) -> Path:
    """Run `dbt docs generate --static` (manifest and catalog embedded in one HTML file, lineage from raw sources
    to marts included) and copy that page to `out_dir/index.html`; return the copy's path.

    The catalog is read from the warehouse dbt targets (`$MQL_DUCKDB_PATH`), so build it first for column types.
    """
    target = target_path or dbt_target_dir()
    run_dbt(["docs", "generate", "--static", "--target-path", str(target)], quiet=quiet)
    page = target / STATIC_PAGE
    if not page.exists():
        raise FileNotFoundError(f"dbt did not write {page}")
    out_dir.mkdir(parents=True, exist_ok=True)
    destination = out_dir / "index.html"
    shutil.copyfile(page, destination)
    return destination
