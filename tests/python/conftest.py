"""Shared pytest fixtures: a small generated data set and a DuckDB warehouse built from it with dbt."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from scripts.dbt_runner import run_dbt
from scripts.generate import generate_dataset
from scripts.load import load_directory
from tests.python.helpers import use_database

FIXTURE_CONTACTS = 400
FIXTURE_EVENTS_PER_CONTACT = 25.0
FIXTURE_SEED = 11


def pytest_configure(config: pytest.Config) -> None:
    """Each test process (a pytest-xdist worker, or the only one) gets its own dbt target and log folders, so dbt
    runs in parallel workers never share `target/` (manifest, partial parse, run results). Tests that need another
    folder still set their own."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    owner = os.environ.get("MQL_PYTEST_TARGET_OWNER")  # set by us: a worker inherits the controller's folders
    if "DBT_TARGET_PATH" not in os.environ or (owner is not None and owner != worker):
        root = Path(tempfile.mkdtemp(prefix=f"mql-pytest-{worker}-"))
        os.environ["DBT_TARGET_PATH"] = str(root / "target")
        os.environ["DBT_LOG_PATH"] = str(root / "logs")
        os.environ["MQL_PYTEST_TARGET_OWNER"] = worker


@pytest.fixture(scope="session")
def generated_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small messy data set (default messy rates), generated once per test session."""
    out = tmp_path_factory.mktemp("generated")
    generate_dataset(out, contacts=FIXTURE_CONTACTS, seed=FIXTURE_SEED,
                     events_per_contact=FIXTURE_EVENTS_PER_CONTACT, progress=False)
    return out


@pytest.fixture(scope="session")
def built_warehouse(generated_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated data set loaded and built with `dbt build` into a session-wide DuckDB file."""
    database = tmp_path_factory.mktemp("warehouse") / "built.duckdb"
    with use_database(database):
        load_directory(generated_dir, database)
        run_dbt(["build"], quiet=True)
    return database
