"""A misconfigured rule seed or scoring var fails the build with a message naming the file, row and problem."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.dbt_runner import DbtError, run_dbt
from scripts.paths import PROJECT_ROOT
from tests.python.helpers import use_database

PROJECT_PARTS = ("dbt_project.yml", "profiles.yml", "models", "macros", "seeds", "tests/generic", "tests/fixtures", "analyses")
RULES = Path("seeds/scoring/engagement_rules.csv")
FIT_RULES = Path("seeds/scoring/fit_rules.csv")
EVENT_TYPE_MAP = Path("seeds/mappings/event_type_map.csv")
PROBABILITY = Path("seeds/scoring/score_probability.csv")
# The committed score_probability seed is empty (header only); its cases break a cell of this calibrated row.
CALIBRATED = ("intercept,slope,outcome,horizon_days,learned_at,description\n"
              "-3,0.05,opportunity,90,2026-01-31,Test curve\n")


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


def _break_rules(project: Path, rule_id: str, column: str, value: str, seed: Path = RULES,
                 base: str | None = None) -> None:
    """Write `seed` into `project` with one cell changed: `column` of the row whose first cell is `rule_id`, in the
    committed file or in `base` (the seed's text)."""
    text = base if base is not None else (PROJECT_ROOT / seed).read_text(encoding="utf-8")
    lines = text.splitlines()
    header = lines[0].split(",")
    index = header.index(column)
    for number, line in enumerate(lines):
        if line.startswith(rule_id + ","):
            cells = line.split(",")
            cells[index] = value
            lines[number] = ",".join(cells)
    (project / seed).write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize(
    ("rule_id", "column", "value", "message"),
    [
        ("E01", "event_type", "page_vieww", r"engagement_rules\.csv line 2 \(rule_id E01\): unknown event_type 'page_vieww'"),
        ("E13", "half_life_days", "-90", r"engagement_rules\.csv line 14 \(rule_id E13\): half_life_days must be positive"),
        ("E09", "max_points", "-15", r"line 10 \(rule_id E09\): max_points \(cap\) must have the same sign as points"),
        ("E02", "rule_id", "E01", r"line 3 \(rule_id E01\): duplicate rule_id \(also on line 2\)"),
        ("N01", "half_life_days", "30", r"line 27 \(rule_id N01\): negative points are permanent"),
        ("N02", "window_days", "90", r"line 28 \(rule_id N02\): negative points are permanent"),
        ("E01", "condition_operator", ">=", r"line 2 \(rule_id E01\): condition_operator '>=' compares numbers"),
        ("E22", "quantity_field", "url", r"line 23 \(rule_id E22\): quantity_field 'url' is text"),
        ("E02", "condition_field", "properties.Bad-Name", r"line 3 \(rule_id E02\): condition_field must be one of"),
    ],
)
def test_broken_rule_seed_fails_naming_the_row(project_copy: Path, rule_id: str, column: str, value: str,
                                                message: str) -> None:
    _assert_broken_seed_fails(project_copy, RULES, "int_events_scored", (rule_id, column, value), message)


def _assert_broken_seed_fails(project: Path, seed: Path, model: str, change: tuple[str, str, str],
                              message: str, base: str | None = None) -> None:
    """Break one cell of a rubric seed (of `base`, default the committed file), reseed, and expect compiling `model`
    to fail with `message`."""
    _break_rules(project, *change, seed=seed, base=base)
    try:
        run_dbt(["seed", "--select", seed.stem], project_dir=project, quiet=True)
        with pytest.raises(DbtError, match=message):
            run_dbt(["compile", "--select", model], project_dir=project, quiet=True)
    finally:
        shutil.copy(PROJECT_ROOT / seed, project / seed)
        run_dbt(["seed", "--select", seed.stem], project_dir=project, quiet=True)


@pytest.mark.parametrize(
    ("rule_id", "column", "value", "message"),
    [
        ("F10", "attribute", "favourite_colour",
         r"fit_rules\.csv line 11 \(rule_id F10\): unknown attribute 'favourite_colour' .*custom_attributes\.csv"),
        ("F11", "attribute_value", "software", (r"line 12 \(rule_id F11\): value 'software' of attribute 'industry' is "
                                               r"also matched by rule F10")),
    ],
)
def test_broken_fit_rule_seed_fails_naming_the_row(project_copy: Path, rule_id: str, column: str, value: str,
                                                    message: str) -> None:
    _assert_broken_seed_fails(project_copy, FIT_RULES, "int_contact_fit_components", (rule_id, column, value),
                              message)


@pytest.mark.parametrize(
    ("seed", "change", "message"),
    [
        (RULES, ("E01", "event_type", "page_vieww"),
         (r"seeds/scoring/engagement_rules\.csv line 2 \(rule_id E01\): unknown event_type 'page_vieww' \(allowed: an "
          r"event_type of seeds/mappings/event_types\.csv: page_view, email_sent, ")),
        (RULES, ("E02", "rule_id", "E01"),
         (r"seeds/scoring/engagement_rules\.csv line 3 \(rule_id E01\): duplicate rule_id \(also on line 2\); a rule_id "
          r"names one rule across seeds/scoring/engagement_rules\.csv and seeds/scoring/fit_rules\.csv")),
        (FIT_RULES, ("F01", "rule_id", "E01"),
         (r"seeds/scoring/fit_rules\.csv line 2 \(rule_id E01\): duplicate rule_id \(also "
          r"seeds/scoring/engagement_rules\.csv line 2\); a rule_id names one rule across")),
        (FIT_RULES, ("F10", "attribute", "favourite_colour"),
         (r"seeds/scoring/fit_rules\.csv line 11 \(rule_id F10\): unknown attribute 'favourite_colour' \(standard: "
          r"seniority, .*; custom: none declared; or declare it in seeds/scoring/custom_attributes\.csv\)")),
        (EVENT_TYPE_MAP, ("page view", "event_type", "page_vieww"),
         (r"seeds/mappings/event_type_map\.csv line 2 \(raw_event_type page view\): unknown event_type 'page_vieww' "
          r"\(allowed: an event_type of seeds/mappings/event_types\.csv: page_view, ")),
    ],
    ids=["unknown-event-type", "duplicate-rule-id", "rule-id-in-both-seeds", "unknown-attribute",
         "unknown-mapped-event-type"],
)
def test_seed_mistake_fails_the_build_naming_the_row(project_copy: Path, seed: Path, change: tuple[str, str, str],
                                                      message: str) -> None:
    """`dbt build` of the broken seed fails at compile time with the validation's one line, not with a bare data
    test (before, a unique or relationships test of the seed failed and the models that name the row were
    skipped), and without a Python traceback."""
    _break_rules(project_copy, *change, seed=seed)
    try:
        build = subprocess.run(
            [str(Path(sys.executable).with_name("dbt")), "build", "--select", seed.stem, "--project-dir",
             str(project_copy), "--profiles-dir", str(project_copy)],
            cwd=project_copy, capture_output=True, text=True, env=os.environ.copy(), check=False)
    finally:
        shutil.copy(PROJECT_ROOT / seed, project_copy / seed)
    output = build.stdout + build.stderr
    try:
        assert build.returncode == 1, output
        assert re.search(message, output), output
        assert "Compilation Error in test valid_seed_rows_" in output, output
        # one validation names the row (a rule_id repeated within a seed was named by two tests)
        assert len(re.findall(r"Compilation Error in test valid_seed_rows_", output)) == 1, output
        assert not re.search(r"\bFAIL \d", output), output  # no bare data test failed
        assert "Traceback" not in output, output
    finally:
        run_dbt(["seed", "--select", seed.stem], project_dir=project_copy, quiet=True)


def test_a_rule_id_in_both_seeds_fails_dbt_run_too(project_copy: Path) -> None:
    """`dbt seed` then `dbt run` (no tests, so no valid_seed_rows) still stops at a rule_id shared by both seeds:
    dim_scoring_rules checks it when it compiles. Before, the run built a rule label mart with two rows for it."""
    _break_rules(project_copy, "F01", "rule_id", "E01", seed=FIT_RULES)
    dbt = str(Path(sys.executable).with_name("dbt"))
    options = ["--project-dir", str(project_copy), "--profiles-dir", str(project_copy)]
    try:
        subprocess.run([dbt, "seed", "--select", "fit_rules", *options], cwd=project_copy, capture_output=True,
                       text=True, env=os.environ.copy(), check=True)
        run = subprocess.run([dbt, "run", "--select", "dim_scoring_rules", *options], cwd=project_copy,
                             capture_output=True, text=True, env=os.environ.copy(), check=False)
    finally:
        shutil.copy(PROJECT_ROOT / FIT_RULES, project_copy / FIT_RULES)
        run_dbt(["seed", "--select", "fit_rules"], project_dir=project_copy, quiet=True)
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert re.search(r"seeds/scoring/fit_rules\.csv line 2 \(rule_id E01\): duplicate rule_id", output), output
    assert "Compilation Error in model dim_scoring_rules" in output, output


ROUTING_RULES = Path("seeds/lifecycle/routing_rules.csv")
ROUTING_POOLS = Path("seeds/lifecycle/routing_pools.csv")


@pytest.mark.parametrize(("rules", "pools", "message"), [
    ("R1,10,regoin,EMEA,emea,x", "emea,U3,1",
     r"seeds/lifecycle/routing_rules\.csv line 2 \(rule_id R1\): attribute 'regoin' is not one of country_code, "),
    ("R1,10,region,EMEA,emea,x", "emeaa,U3,1",
     (r"seeds/lifecycle/routing_rules\.csv line 2 \(rule_id R1\): pool 'emea' has no owner in "
      r"seeds/lifecycle/routing_pools\.csv")),
    ("R1,10,region,EMEA,emea,x", "emea,U3,0",
     r"seeds/lifecycle/routing_pools\.csv line 2 \(pool emea\): weight must be a whole number of at least 1"),
], ids=["unknown-attribute", "unknown-pool", "zero-weight"])
def test_a_routing_mistake_fails_the_build_naming_the_row(project_copy: Path, rules: str, pools: str,
                                                          message: str) -> None:
    """The routing seeds are checked when they load: one compile error naming the file, line and rule."""
    (project_copy / ROUTING_RULES).write_text(
        "rule_id,priority,attribute,attribute_values,pool,description\n" + rules + "\n", encoding="utf-8")
    (project_copy / ROUTING_POOLS).write_text("pool,owner_id,weight\n" + pools + "\n", encoding="utf-8")
    try:
        build = subprocess.run(
            [str(Path(sys.executable).with_name("dbt")), "build", "--select", "routing_pools", "routing_rules",
             "--project-dir", str(project_copy), "--profiles-dir", str(project_copy)],
            cwd=project_copy, capture_output=True, text=True, env=os.environ.copy(), check=False)
    finally:
        for seed in (ROUTING_RULES, ROUTING_POOLS):
            shutil.copy(PROJECT_ROOT / seed, project_copy / seed)
        run_dbt(["seed", "--select", "routing_rules", "routing_pools"], project_dir=project_copy, quiet=True)
    output = build.stdout + build.stderr
    assert build.returncode == 1, output
    assert re.search(message, output), output
    assert "Traceback" not in output, output


def _fit_rule(rule_id: str, attribute: str, points: float = 5, **match: object) -> dict[str, object]:
    return {"rule_id": rule_id, "score_family": "fit" if points > 0 else "negative", "attribute": attribute,
            "points": points, **match}


CUSTOM = [{"attribute": "visits", "entity": "contact", "data_type": "number", "description": "Visits"},
          {"attribute": "plan", "entity": "account", "data_type": "text", "description": "Plan"}]


@pytest.mark.parametrize(
    ("rubric", "message"),
    [
        ({"fit_rules": [_fit_rule("B1", "visits", min_value=0, max_value=10),
                        _fit_rule("B2", "visits", min_value=5)]},
         (r"var rubric_rows\.fit_rules item 2 \(rule_id B2\): bin \[5, inf\) of attribute 'visits' overlaps bin "
         r"\[0, 10\) of rule B1")),
        ({"fit_rules": [_fit_rule("B1", "plan", min_value=1)]},
         r"item 1 \(rule_id B1\): attribute 'plan' is text: numeric bins"),
        ({"fit_rules": [_fit_rule("B1", "visits", min_value=10, max_value=5)]},
         r"item 1 \(rule_id B1\): min_value \(10\) must be below max_value \(5\)"),
        ({"fit_rules": [_fit_rule("B1", "visits", attribute_value="3", min_value=1)]},
         r"item 1 \(rule_id B1\): set either attribute_value or a numeric bin"),
        ({"fit_rules": [_fit_rule("B1", "visits")]}, r"item 1 \(rule_id B1\): set attribute_value"),
        ({"custom_attributes": [{"attribute": "Visits", "entity": "contact", "data_type": "number"}]},
         r"var rubric_rows\.custom_attributes item 1 \(attribute Visits\): attribute must be lowercase"),
        ({"custom_attributes": [{"attribute": "industry", "entity": "contact", "data_type": "text"}]},
         r"item 1 \(attribute industry\): 'industry' is a standard attribute"),
        ({"custom_attributes": [{"attribute": "size", "entity": "lead", "data_type": "number"}]},
         r"item 1 \(attribute size\): entity must be 'contact' or 'account'"),
    ],
)
def test_broken_pinned_rubric_fails_naming_the_item(project_copy: Path, rubric: dict, message: str) -> None:
    pinned = {"custom_attributes": CUSTOM, **rubric}
    with pytest.raises(DbtError, match=message):
        run_dbt(["compile", "--select", "int_contact_fit_components"], project_dir=project_copy,
                dbt_vars={"rubric_rows": pinned}, quiet=True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("-3", "slope", "-0.1"), r"score_probability\.csv line 2: slope must be above 0"),
        (("-3", "outcome", "mql"), r"score_probability\.csv line 2: outcome must be sql, opportunity or won"),
    ],
)
def test_broken_score_probability_seed_fails_naming_the_row(project_copy: Path, change: tuple[str, str, str],
                                                            message: str) -> None:
    _assert_broken_seed_fails(project_copy, PROBABILITY, "dim_leads", change, message, base=CALIBRATED)


def _calibration(**cells: object) -> dict[str, object]:
    return {"intercept": -3, "slope": 0.05, "outcome": "opportunity", "horizon_days": 90,
            "learned_at": "2026-01-31", **cells}


@pytest.mark.parametrize(
    ("dbt_vars", "message"),
    [
        ({"rubric_rows": {"score_probability": [_calibration(), _calibration(intercept=-2)]}},
         r"var rubric_rows\.score_probability item 2: score_probability holds one calibration \(one row\), found 2"),
        ({"rubric_rows": {"score_probability": [_calibration(slope=None)]}},
         r"var rubric_rows\.score_probability item 1: slope is empty"),
        ({"rubric_rows": {"score_probability": [_calibration(intercept="")]}}, r"item 1: intercept is empty"),
        ({"probability_bands": [0.5, 0.3]}, r"var probability_bands: bounds must increase"),
        ({"probability_bands": "0.05,0.5"}, r"var probability_bands: must be a list of upper bounds"),
    ],
)
def test_broken_calibration_fails_naming_the_item(project_copy: Path, dbt_vars: dict, message: str) -> None:
    with pytest.raises(DbtError, match=message):
        run_dbt(["compile", "--select", "dim_leads"], project_dir=project_copy, dbt_vars=dbt_vars, quiet=True)


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
    run_dbt(["compile", "--select",
             "int_events_scored int_contact_score_history int_contact_fit_components dim_leads"],
            project_dir=project_copy, quiet=True)
