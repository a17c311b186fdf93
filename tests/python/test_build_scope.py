"""`scripts.build_scope`: a refresh builds only the descendants of the raw tables that received rows, and only when
nothing else can have changed since the last successful build."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from scripts.build_scope import PreviousBuild, build_scope, project_fingerprint, selection
from scripts.paths import PROJECT_ROOT

BUILT_AT = datetime(2026, 7, 1, 12, 0)
LOADS = {"events": BUILT_AT + timedelta(minutes=5), "contacts": BUILT_AT, "accounts": BUILT_AT - timedelta(days=1)}


def test_only_tables_loaded_after_the_last_build_are_selected() -> None:
    previous = PreviousBuild(succeeded=True, project_fingerprint="f", raw_loaded_through=BUILT_AT)
    assert build_scope(previous, "f", LOADS, full_refresh=False) == ["source:marketing.events+"]
    later = dict(LOADS, accounts=BUILT_AT + timedelta(seconds=1))
    assert build_scope(previous, "f", later, full_refresh=False) == ["source:crm.accounts+",
                                                                     "source:marketing.events+"]


@pytest.mark.parametrize("previous, fingerprint, full_refresh", [
    (None, "f", False),  # first build
    (PreviousBuild(False, "f", BUILT_AT), "f", False),  # the last build failed or was killed
    (PreviousBuild(True, "old", BUILT_AT), "f", False),  # a model, macro, seed, var or env changed
    (PreviousBuild(True, "f", None), "f", False),  # a log written before the state was recorded
    (PreviousBuild(True, "f", BUILT_AT), "f", True),  # --full-refresh
    (PreviousBuild(True, "f", BUILT_AT + timedelta(days=1)), "f", False),  # no table has newer rows
])
def test_everything_is_built_unless_the_previous_build_covers_all_but_new_rows(
        previous: PreviousBuild | None, fingerprint: str, full_refresh: bool) -> None:
    assert build_scope(previous, fingerprint, LOADS, full_refresh) is None


def test_selection_names_the_source_of_each_table() -> None:
    assert selection(["lead_stage_history", "events"]) == ["source:marketing.events+",
                                                           "source:crm.lead_stage_history+"]


def test_fingerprint_changes_with_any_project_file_and_the_compile_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "project"
    for name in ("models", "macros", "seeds"):
        shutil.copytree(PROJECT_ROOT / name, root / name)
    shutil.copy(PROJECT_ROOT / "dbt_project.yml", root / "dbt_project.yml")
    before = project_fingerprint(root)
    assert project_fingerprint(root) == before
    rules = root / "seeds" / "scoring" / "engagement_rules.csv"
    rules.write_text(rules.read_text().replace("E01,engagement,page_view,page_category,pricing,10,",
                                               "E01,engagement,page_view,page_category,pricing,11,"))
    edited = project_fingerprint(root)
    assert edited != before
    monkeypatch.setenv("MQL_RAW_SCHEMA", "raw_elsewhere")
    assert project_fingerprint(root) != edited
