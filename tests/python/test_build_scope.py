"""`scripts.build_scope`: a refresh builds only the descendants of the raw tables that changed, and only when
nothing else can have changed since the last successful build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scripts.build_scope import (
    PreviousBuild,
    RawState,
    build_scope,
    changed_tables,
    decode_raw_state,
    encode_raw_state,
    project_fingerprint,
    selection,
)
from scripts.paths import PROJECT_ROOT

BUILT: RawState = {"events": (1000, "2026-07-01 12:00:00"), "contacts": (100, "2026-07-01 12:00:00"),
                   "accounts": (20, "2026-06-30 12:00:00")}


def test_only_tables_whose_rows_changed_are_selected() -> None:
    previous = PreviousBuild(succeeded=True, project_fingerprint="f", raw_state=BUILT)
    appended = dict(BUILT, events=(1010, "2026-07-01 12:05:00"))
    assert build_scope(previous, "f", appended, full_refresh=False) == ["source:marketing.events+"]
    # rows stamped in the past (a loader whose clock lags) still change the row count
    late_stamped = dict(appended, accounts=(21, "2026-06-30 12:00:00"))
    assert build_scope(previous, "f", late_stamped, full_refresh=False) == ["source:crm.accounts+",
                                                                            "source:marketing.events+"]
    # a table replaced by fewer rows, or gone, changed too
    assert changed_tables(BUILT, dict(BUILT, contacts=(90, "2026-07-01 12:00:00"))) == ["contacts"]
    assert changed_tables(BUILT, {k: v for k, v in BUILT.items() if k != "accounts"}) == ["accounts"]


@pytest.mark.parametrize("previous, fingerprint, full_refresh", [
    (None, "f", False),  # first build
    (PreviousBuild(False, "f", BUILT), "f", False),  # the last build failed or was killed
    (PreviousBuild(True, "f", BUILT, was_last_dbt_build=False), "f", False),  # a dbt build by hand since
    (PreviousBuild(True, "old", BUILT), "f", False),  # a model, macro, seed, var, env or tool version changed
    (PreviousBuild(True, "f", None), "f", False),  # a log written before the state was recorded
    (PreviousBuild(True, "f", BUILT), "f", True),  # --full-refresh
    (PreviousBuild(True, "f", BUILT), "f", False),  # files with no rows: nothing changed, nothing to scope by
])
def test_everything_is_built_unless_the_previous_build_covers_all_but_new_rows(
        previous: PreviousBuild | None, fingerprint: str, full_refresh: bool) -> None:
    assert build_scope(previous, fingerprint, BUILT, full_refresh) is None


def test_raw_state_round_trips_through_the_run_log() -> None:
    assert decode_raw_state(encode_raw_state(BUILT)) == BUILT
    assert decode_raw_state(None) is None


def test_selection_names_the_source_of_each_table() -> None:
    assert selection(["lead_stage_history", "events"]) == ["source:marketing.events+",
                                                           "source:crm.lead_stage_history+"]


def test_fingerprint_follows_dbt_inputs_and_the_compile_environment_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "project"
    for name in ("models", "macros", "seeds", "tests"):
        shutil.copytree(PROJECT_ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT_ROOT / "dbt_project.yml", root / "dbt_project.yml")
    before = project_fingerprint(root)
    (root / "tests" / "python" / "test_new.py").write_text("x = 1\n")  # Python tests are not dbt inputs
    assert project_fingerprint(root) == before
    rules = root / "seeds" / "scoring" / "engagement_rules.csv"
    text = rules.read_text()
    assert "E01,engagement,page_view,page_category,,pricing,10," in text
    rules.write_text(text.replace("E01,engagement,page_view,page_category,,pricing,10,",
                                  "E01,engagement,page_view,page_category,,pricing,11,"))
    edited = project_fingerprint(root)
    assert edited != before
    (root / "tests" / "generic" / "test_new.sql").write_text("{% test x(model) %}select 1{% endtest %}\n")
    with_test = project_fingerprint(root)
    assert with_test != edited
    monkeypatch.setenv("MQL_RAW_SCHEMA", "raw_elsewhere")
    assert project_fingerprint(root) != with_test


def test_the_target_and_an_exclude_are_part_of_the_fingerprint(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refresh on another target, or with another `--exclude`, is not "current": it builds and publishes."""
    monkeypatch.setenv("MQL_TARGET", "dev")
    plain = project_fingerprint()
    assert project_fingerprint(exclude="fct_funnel_monthly") != plain
    monkeypatch.setenv("MQL_TARGET", "ci")
    assert project_fingerprint() != plain
