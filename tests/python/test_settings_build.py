"""Every setting change builds (issue 17): a whole `dbt build`, unit tests included, succeeds under non-default
qualification settings and on data sets without events or without any optional raw table.

The unit tests' hand-computed expectations assume the default settings, so each unit test pins every var its model
reads (`overrides.vars`, which win over `--vars` and dbt_project.yml): checked statically below, and shown by the
builds, whose run results must hold every unit test with status pass. The builds reuse one loaded raw database
(copied per build) and each writes its own DuckDB file and dbt target folder.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml

from scripts.dbt_runner import run_dbt
from scripts.generate import generate_dataset
from scripts.load import load_directory
from scripts.paths import PROJECT_ROOT
from tests.python.helpers import use_database

CONTACTS = 150
EVENTS_PER_CONTACT = 6.0
SEED = 23
AS_OF = "2025-11-15 12:00:00"

# Non-default settings (the mode is always given: the others only apply to it). The reported failures were
# `mql_min_fit_grade: D, mql_engagement_threshold: 9` and `as_of`: unit tests that read the project's vars.
SETTINGS: dict[str, dict[str, object]] = {
    "engagement_threshold_0": {"qualification_mode": "fit_and_engagement", "mql_engagement_threshold": 0},
    "combined_40": {"qualification_mode": "combined", "mql_combined_threshold": 40},
    "min_grade_d_engagement_9": {"qualification_mode": "fit_and_engagement", "mql_min_fit_grade": "D",
                                 "mql_engagement_threshold": 9},
    "as_of_mid_history": {"as_of": AS_OF},
}


def _meets_threshold_sql(dbt_vars: dict[str, object]) -> str:
    """What `dim_leads.meets_threshold` must be under the project's vars overridden by `dbt_vars` (fit and engagement
    points of the lead now): proof that the build used the setting, not only that it did not fail."""
    settings = {**yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text(encoding="utf-8"))["vars"], **dbt_vars}
    if settings["qualification_mode"] == "combined":
        return f"fit_score + engagement_score >= {settings['mql_combined_threshold']}"
    floor = settings["fit_grade_bands"].get(settings["mql_min_fit_grade"])  # none for D: any fit
    fit = f"fit_score >= {floor} and " if floor is not None else ""
    return f"{fit}engagement_score >= {settings['mql_engagement_threshold']}"


@pytest.fixture(scope="module")
def raw_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("settings-data")
    generate_dataset(out, contacts=CONTACTS, seed=SEED, events_per_contact=EVENTS_PER_CONTACT, progress=False)
    return out


@pytest.fixture(scope="module")
def loaded_raw(raw_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The raw schema loaded once; every build below starts from a copy of this file."""
    database = tmp_path_factory.mktemp("settings-raw") / "loaded.duckdb"
    load_directory(raw_data, database)
    return database


def _build(database: Path, target: Path, dbt_vars: dict[str, object] | None = None) -> list[Any]:
    """`dbt build` (everything, unit tests included) into `database`; dbt's target folder is `target`. Returns the
    node results; raises DbtError naming the failing nodes unless every node passed."""
    with use_database(database), pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_TARGET_PATH", str(target))
        patch.setenv("DBT_LOG_PATH", str(target / "logs"))
        result = run_dbt(["build"], dbt_vars=dbt_vars, quiet=True)
    return list(result.result.results)


def _assert_unit_tests_passed(results: list[Any], target: Path) -> None:
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    expected = set(manifest["unit_tests"])
    statuses = {r.node.unique_id: str(r.status) for r in results if r.node.resource_type == "unit_test"}
    assert expected, "the project has no unit tests: is the manifest complete?"
    assert set(statuses) == expected, f"unit tests not run: {sorted(expected - set(statuses))}"
    assert set(statuses.values()) == {"pass"}, {k: v for k, v in statuses.items() if v != "pass"}


def _query(database: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _assert_reference_everywhere(database: Path, expected_at: object, source: str) -> None:
    """The reference time is the expected instant, and every mart that carries one carries it (never null)."""
    assert _query(database, "select reference_at, reference_source from intermediate.int_scoring_reference_time") \
        == [(expected_at, source)]
    for mart, column in (("dim_leads", "scored_at"), ("fct_lead_score_components", "scored_at"),
                         ("dim_lead_lifecycle", "reference_at"), ("fct_funnel_lead_cohorts", "reference_at"),
                         ("fct_funnel_monthly", "reference_at"), ("dim_account_qualification", "reference_at"),
                         ("fct_mql_speed_to_lead", "reference_at")):
        values = _query(database, f"select distinct {column} from marts.{mart}")
        assert values in ([], [(expected_at,)]), (mart, values)


@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_a_non_default_setting_builds_with_every_unit_test_passing(setting: str, loaded_raw: Path,
                                                                   tmp_path: Path) -> None:
    dbt_vars = SETTINGS[setting]
    database = tmp_path / "warehouse.duckdb"
    shutil.copyfile(loaded_raw, database)
    results = _build(database, tmp_path / "target", dbt_vars)
    _assert_unit_tests_passed(results, tmp_path / "target")
    leads, agreeing, mqls = _query(database, f"""
        select count(*), count(*) filter (where meets_threshold = ({_meets_threshold_sql(dbt_vars)})), sum(mql_count)
        from marts.dim_leads""")[0]
    assert leads > 50 and agreeing == leads, (setting, leads, agreeing)
    assert mqls > 0, setting
    if "as_of" in dbt_vars:
        as_of = _query(database, f"select cast('{AS_OF}' as timestamp)")[0][0]
        _assert_reference_everywhere(database, as_of, "as_of")
        latest = _query(database, "select max(qualified_at) from marts.fct_mql_events union all "
                                  "select max(scored_at) from marts.fct_lead_score_history")
        assert all(at <= as_of for (at,) in latest), latest


def _without_events(raw_data: Path, out: Path) -> Path:
    """The data set with an events file of no rows (same columns)."""
    shutil.copytree(raw_data, out)
    events = out / "events.parquet"
    pq.write_table(pq.read_table(events).slice(0, 0), events)
    return out


def _contacts_only(raw_data: Path, out: Path) -> Path:
    """Only the contacts file: `mql load` creates every other contract table empty."""
    out.mkdir()
    shutil.copy(raw_data / "contacts.parquet", out / "contacts.parquet")
    return out


LATEST_CRM_INSTANT = """
    select max(instant) from (
        select max(created_at) as instant from staging.stg_crm__contacts
        union all select max(updated_at) from staging.stg_crm__contacts
        union all select max(created_at) from staging.stg_crm__accounts
        union all select max(updated_at) from staging.stg_crm__accounts
        union all select max(changed_at) from staging.stg_crm__lead_stage_history
        union all select max(created_at) from staging.stg_crm__opportunities
        union all select max(updated_at) from staging.stg_crm__opportunities
        union all select max(closed_at) from staging.stg_crm__opportunities where is_closed
        union all select max(occurred_at) from staging.stg_crm__sales_activities
    )"""


@pytest.mark.parametrize("shape", ["events_emptied", "contacts_only"])
def test_a_data_set_without_events_or_optional_tables_builds(shape: str, raw_data: Path, tmp_path: Path) -> None:
    data = (_without_events if shape == "events_emptied" else _contacts_only)(raw_data, tmp_path / "data")
    database = tmp_path / "warehouse.duckdb"
    load_directory(data, database)
    results = _build(database, tmp_path / "target")
    _assert_unit_tests_passed(results, tmp_path / "target")
    assert _query(database, "select count(*) from staging.stg_marketing__events") == [(0,)]
    latest_crm = _query(database, LATEST_CRM_INSTANT)[0][0]
    assert latest_crm is not None
    _assert_reference_everywhere(database, latest_crm, "latest_crm_record")
    leads, contacts = _query(database, "select (select count(*) from marts.dim_leads), "
                                       "(select count(*) from staging.stg_crm__contacts)")[0]
    assert leads == contacts > 100


# Vars a model reads through a macro argument rather than var('...') (scoring_config's helpers) are found too: any
# quoted project var name in the model or in a macro it calls (directly, through other macros or a dispatch).
def test_every_unit_test_pins_every_var_its_model_reads(tmp_path: Path) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
        patch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
        run_dbt(["parse"], quiet=True)
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text(encoding="utf-8"))
    project_vars = set(yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text(encoding="utf-8"))["vars"])
    macros = manifest["macros"]
    by_name: dict[str, list[str]] = {}
    for unique_id, macro in macros.items():
        by_name.setdefault(macro["name"], []).append(unique_id)

    def macro_closure(pending: list[str]) -> set[str]:
        seen: set[str] = set()
        while pending:
            unique_id = pending.pop()
            if unique_id in seen or unique_id not in macros:
                continue
            seen.add(unique_id)
            name = macros[unique_id]["name"]
            pending += macros[unique_id]["depends_on"]["macros"]
            pending += [other for other_name, ids in by_name.items() if other_name.endswith(f"__{name}")
                        for other in ids]
        return seen

    literal = re.compile(r"""['"](\w+)['"]""")
    unpinned = {}
    for unit_test in manifest["unit_tests"].values():
        model = manifest["nodes"][unit_test["depends_on"]["nodes"][0]]
        code = model["raw_code"] + "".join(
            macros[unique_id]["macro_sql"] for unique_id in macro_closure(list(model["depends_on"]["macros"]))
            if macros[unique_id]["package_name"] == manifest["metadata"]["project_name"])
        read = set(literal.findall(code)) & project_vars
        pinned = set((unit_test.get("overrides") or {}).get("vars") or {})
        if read - pinned:
            unpinned[f"{unit_test['name']} ({model['name']})"] = sorted(read - pinned)
    assert len(manifest["unit_tests"]) >= 19
    assert not unpinned, "unit tests that do not pin vars their model reads (overrides.vars):\n" + "\n".join(
        f"  {name}: {', '.join(names)}" for name, names in sorted(unpinned.items()))


def test_mql_build_and_test_pass_vars_through_to_dbt(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from scripts import cli

    calls: list[tuple[list[str], dict[str, object] | None]] = []
    monkeypatch.setattr(cli, "run_dbt", lambda args, dbt_vars=None: calls.append((list(args), dbt_vars)))
    runner = CliRunner()
    assert runner.invoke(cli.app, ["build", "--vars", "{mql_engagement_threshold: 9, as_of: 2026-01-01 10:00:00}"]) \
        .exit_code == 0
    assert runner.invoke(cli.app, ["test", "--all-rows", "--vars", '{"mql_min_fit_grade": "D"}']).exit_code == 0
    assert runner.invoke(cli.app, ["build"]).exit_code == 0
    assert calls == [(["build"], {"mql_engagement_threshold": 9, "as_of": "2026-01-01 10:00:00"}),
                     (["test"], {"mql_min_fit_grade": "D", "data_test_scope": "all"}),
                     (["build"], None)]
    rejected = runner.invoke(cli.app, ["build", "--vars", "[1, 2]"])
    assert rejected.exit_code == 1 and "--vars must be a mapping" in rejected.output
    assert len(calls) == 3
