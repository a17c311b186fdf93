"""A misconfigured rule seed or scoring var fails the build with a message naming the file, row and problem."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.dbt_runner import DbtError, run_dbt
from scripts.paths import PROJECT_ROOT
from tests.python.helpers import use_database

PROJECT_PARTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests/generic", "analyses")
RULES = Path("seeds/scoring/engagement_rules.csv")


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A throwaway copy of the dbt project with its seeds built, so tests can break its seed files."""
    root = tmp_path_factory.mktemp("project")
    for part in PROJECT_PARTS:
        source = PROJECT_ROOT / part
        if source.is_dir():
            shutil.copytree(source, root / part)
        else:
            (root / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, root / part)
    with use_database(root / "validation.duckdb"):
        run_dbt(["seed"], project_dir=root, quiet=True)
        yield root


def _break_rules(project: Path, rule_id: str, column: str, value: str) -> None:
    lines = (PROJECT_ROOT / RULES).read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    index = header.index(column)
    for number, line in enumerate(lines):
        if line.startswith(rule_id + ","):
            cells = line.split(",")
            cells[index] = value
            lines[number] = ",".join(cells)
    (project / RULES).write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("rule_id", "column", "value", "message"),
    [
        ("E01", "event_type", "page_vieww", r"engagement_rules\.csv line 2 \(rule_id E01\): unknown event_type 'page_vieww'"),
        ("E13", "half_life_days", "-90", r"engagement_rules\.csv line 14 \(rule_id E13\): half_life_days must be positive"),
        ("E09", "max_points", "-15", r"line 10 \(rule_id E09\): max_points \(cap\) must have the same sign as points"),
        ("E02", "rule_id", "E01", r"line 3 \(rule_id E01\): duplicate rule_id \(also on line 2\)"),
        ("N01", "half_life_days", "30", r"line 23 \(rule_id N01\): negative rules are permanent"),
    ],
)
def test_broken_rule_seed_fails_naming_the_row(project_copy: Path, rule_id: str, column: str, value: str,
                                                message: str) -> None:
    _break_rules(project_copy, rule_id, column, value)
    try:
        run_dbt(["seed", "--select", "engagement_rules"], project_dir=project_copy, quiet=True)
        with pytest.raises(DbtError, match=message):
            run_dbt(["compile", "--select", "int_events_scored"], project_dir=project_copy, quiet=True)
    finally:
        shutil.copy(PROJECT_ROOT / RULES, project_copy / RULES)
        run_dbt(["seed", "--select", "engagement_rules"], project_dir=project_copy, quiet=True)


@pytest.mark.parametrize(
    ("dbt_vars", "message"),
    [
        ({"mql_engagement_threshold": ""}, r"var mql_engagement_threshold: is empty"),
        ({"mql_combined_threshold": "lots"}, r"var mql_combined_threshold: must be a number"),
        ({"qualification_mode": "vibes"}, r"var qualification_mode: must be 'fit_and_engagement' or 'combined'"),
        ({"fit_grade_bands": {"A": 10, "B": 40, "C": 20}}, r"var fit_grade_bands: band 'A' \(10.0\) must be above"),
        ({"as_of": "last tuesday"}, r"var as_of: must be a UTC timestamp"),
    ],
)
def test_broken_scoring_var_fails_naming_the_var(project_copy: Path, dbt_vars: dict, message: str) -> None:
    with pytest.raises(DbtError, match=message):
        run_dbt(["compile", "--select", "int_contact_score_history"], project_dir=project_copy, dbt_vars=dbt_vars,
                quiet=True)


def test_the_committed_rubric_compiles(project_copy: Path) -> None:
    run_dbt(["compile", "--select", "int_events_scored int_contact_score_history int_contact_fit_components"],
            project_dir=project_copy, quiet=True)
