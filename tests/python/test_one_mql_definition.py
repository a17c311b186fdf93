"""One MQL definition: `mql calibrate` counts, for every setting, exactly the MQLs a warehouse built with that setting
makes (both read the dbt macro `mql_crossing_candidates`), including leads that qualify at their first instant (a
threshold of 0, fit alone above a combined threshold), and it never recommends a setting that selects nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pytest
from typer.testing import CliRunner

from scripts.calibrate.frame import NEVER, LeadFrame, Setting, connect
from scripts.calibrate.periods import DAY, Period, to_epoch
from scripts.calibrate.recommend import Goal, choose
from scripts.calibrate.sweep import indicators, metrics
from scripts.calibrate.threshold import CalibrationOptions, ThresholdCalibration, calibrate_thresholds
from scripts.calibrate.workspace import RuleVersion, Workspace, working_tree_version
from scripts.load import load_directory
from scripts.report.calibration import computed_curve
from scripts.report.config import ReportConfig
from scripts.report.warehouse import open_warehouse
from tests.python.helpers import use_database

GOAL = Goal("fbeta", 1.0)
QUIET_LEAD = "C9000001"
"""A lead added to the generated data with no event at all: it still has a creation instant."""

FIRST_INSTANTS = """
    with first_instants as (
        select contact_id, min(scored_at) as first_at, max(fit_score) as fit_score,
               max(engagement_score) as engagement_score, bool_or(is_disqualified) as is_disqualified
        from marts.fct_lead_score_history
        where is_first_instant and instant_kind <> 'sales_decision'
        group by contact_id
    ),
    first_mqls as (
        select contact_id, min(qualified_at) as first_mql_at from marts.fct_mql_events group by contact_id
    )
    select first_instants.*, first_mqls.first_mql_at = first_instants.first_at as qualified_at_first_instant
    from first_instants left join first_mqls using (contact_id)
"""
"""Per lead: its first instant's scores and whether its first MQL is at that instant."""


@pytest.fixture(scope="module")
def workspace(generated_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """Throwaway builds of the session's generated data set (messy: duplicates, merges, bad rows, ...) plus a lead
    without events."""
    root = tmp_path_factory.mktemp("one-mql")
    source = root / "source.duckdb"
    load_directory(generated_dir, source)
    with duckdb.connect(str(source)) as connection:
        connection.execute(f"""
            insert into raw.contacts
            select * replace ('{QUIET_LEAD}' as contact_id, 'quiet.lead@example-quiet.com' as email,
                              '2025-06-01 09:00:00' as created_at, '2025-06-01 09:00:00' as updated_at,
                              999999 as _source_row)
            from raw.contacts where contact_id = 'C0000002' limit 1
        """)
    with Workspace(source, root=root / "ws") as ws:
        yield ws


@pytest.fixture(scope="module")
def warehouse(workspace: Workspace) -> Path:
    """The warehouse built with the project's settings: what `mql calibrate` sweeps."""
    return workspace.build(working_tree_version("current"))


@pytest.fixture(scope="module")
def calibrations(warehouse: Path) -> dict[str, ThresholdCalibration]:
    """`mql calibrate` in both modes, every 10 points."""
    return {mode: calibrate_thresholds(warehouse, CalibrationOptions(
        goal=GOAL, mode=mode, outcome="sql", step=10, replicates=0))  # type: ignore[arg-type]
        for mode in ("fit_and_engagement", "combined")}


def _build_with(workspace: Workspace, setting: Setting) -> Path:
    """The warehouse built with `setting` (its dbt vars over the project's)."""
    current = working_tree_version("current")
    label = f"{setting.mode} {setting.min_fit_grade or 'any'} {setting.threshold:g}"
    return workspace.build(RuleVersion(label, current.seed_files, {**current.dbt_vars, **setting.dbt_vars()},
                                       complete_rule_folder=True))


def _first_mqls(database: Path, leads: LeadFrame) -> np.ndarray:
    """Each lead's first MQL in the built warehouse (epoch seconds; NEVER without one)."""
    first = np.full(leads.n, NEVER)
    index = leads.index()
    with connect(database) as connection:
        rows = connection.execute("select contact_id, epoch(min(qualified_at)) from marts.fct_mql_events group by 1"
                                  ).fetchall()
    for contact_id, at in rows:
        first[index[contact_id]] = float(at)
    return first


def _assert_calibrate_counts_the_build(workspace: Workspace, result: ThresholdCalibration, setting: Setting) -> Path:
    """Build `setting`; its first MQLs must be calibrate's, lead by lead, and so must the MQL counts of every
    period (first MQL in the period, before sales took the lead). Returns the build."""
    built = _build_with(workspace, setting)
    k = result.settings.index(setting)
    first = _first_mqls(built, result.leads)
    np.testing.assert_array_equal(result.times[:, k], first, err_msg=setting.label())
    for period in (result.periods.training, result.periods.holdout):
        if period is None:
            continue
        counted = (np.isfinite(first) & (first <= result.leads.handoff_at) & (first >= period.start)
                   & (first < period.end))
        row = result.sweep[(result.sweep["period"] == period.name)
                           & (result.sweep["min_fit_grade"] == (setting.min_fit_grade or ""))
                           & (result.sweep["threshold"] == setting.threshold)]
        assert int(row["mqls"].iloc[0]) == int(counted.sum()), (setting.label(), period.name)
    return built


@pytest.mark.parametrize("mode", ["fit_and_engagement", "combined"])
def test_calibrate_counts_what_a_build_with_the_recommended_setting_makes(
        workspace: Workspace, calibrations: dict[str, ThresholdCalibration], mode: str) -> None:
    result = calibrations[mode]
    assert result.has_recommendation and result.recommended.mode == mode
    assert not any("other --vars" in w for w in result.warnings)  # the sweep reproduces the project's own build
    _assert_calibrate_counts_the_build(workspace, result, result.recommended)


def test_the_report_threshold_curve_counts_the_warehouse_mqls(warehouse: Path) -> None:
    """The report's computed threshold curve reads the same definition: at the configured threshold its volume is
    the warehouse's own MQL leads."""
    current = working_tree_version("current").dbt_vars
    config = ReportConfig(qualification_mode=str(current["qualification_mode"]),
                          mql_min_fit_grade=str(current["mql_min_fit_grade"]),
                          mql_engagement_threshold=float(current["mql_engagement_threshold"]),  # type: ignore[arg-type]
                          mql_combined_threshold=float(current["mql_combined_threshold"]))  # type: ignore[arg-type]
    with open_warehouse(warehouse) as opened:
        curve = computed_curve(opened, config)
        built = opened.connection.execute("select count(*) from marts.dim_leads where has_ever_been_mql").fetchone()
    volume = dict(zip(curve.table.column("threshold"), curve.table.column("mql_volume"), strict=True))
    assert volume[config.threshold] == built[0] > 0
    assert "mql_crossing_candidates" in curve.table.source


def _first_instants(database: Path) -> dict[str, dict[str, object]]:
    with duckdb.connect(str(database), read_only=True) as connection:
        frame = connection.execute(FIRST_INSTANTS).fetchdf()
    return {str(row["contact_id"]): row for row in frame.to_dict(orient="records")}


def test_threshold_zero_qualifies_leads_at_their_first_instant(
        workspace: Workspace, calibrations: dict[str, ThresholdCalibration]) -> None:
    result = calibrations["fit_and_engagement"]
    zero = Setting("fit_and_engagement", "D", 0.0)
    leads = _first_instants(_assert_calibrate_counts_the_build(workspace, result, zero))
    # Nothing exists before a lead's first instant: at threshold 0 (any fit) every lead that meets it there
    # (engagement >= 0, not disqualified) qualifies there, events or not.
    eligible = [c for c, row in leads.items() if row["engagement_score"] >= 0 and not row["is_disqualified"]]
    assert len(eligible) > 0.9 * len(leads) > 100
    assert all(leads[c]["qualified_at_first_instant"] for c in eligible)
    assert QUIET_LEAD in eligible
    # ... which selects nobody out: calibrate says so and does not recommend it.
    row = result.sweep[(result.sweep["period"] == "training") & (result.sweep["min_fit_grade"] == "D")
                       & (result.sweep["threshold"] == 0.0)]
    assert bool(row["qualifies_everybody"].iloc[0])
    assert result.recommended != zero
    assert any("qualify every lead created" in w and zero.label() in w for w in result.warnings)


def test_fit_alone_above_a_combined_threshold_qualifies_at_creation(
        workspace: Workspace, calibrations: dict[str, ThresholdCalibration]) -> None:
    result = calibrations["combined"]
    setting = Setting("combined", None, 40.0)
    built = _assert_calibrate_counts_the_build(workspace, result, setting)
    leads = _first_instants(built)
    fit_alone = [c for c, row in leads.items() if row["fit_score"] >= 40 and not row["is_disqualified"]]
    assert len(fit_alone) > 5
    assert all(leads[c]["qualified_at_first_instant"] for c in fit_alone)  # MQLs from their first instant
    with duckdb.connect(str(built), read_only=True) as connection:
        triggers = dict(connection.execute("""
            select trigger_kind, count(*) from marts.fct_mql_events
            where mql_sequence = 1 and contact_id in (select unnest(?))
            group by 1
        """, [fit_alone]).fetchall())
        quiet = connection.execute(f"""
            select instant_kind, fit_score, is_first_instant from marts.fct_lead_score_history
            where contact_id = '{QUIET_LEAD}'
        """).fetchall()
    assert sum(triggers.values()) == len(fit_alone) and triggers.get("created", 0) > 0
    assert [(kind, first) for kind, _, first in quiet] == [("created", True)]  # no event, still a history
    assert (QUIET_LEAD in fit_alone) == (quiet[0][1] >= 40)


def _frame(converts: list[bool]) -> tuple[LeadFrame, Period]:
    """Leads created on consecutive days of January 2026; `converts` says which reach an SQL stage 10 days later."""
    start = to_epoch(datetime(2026, 1, 1))
    n = len(converts)
    created = start + np.arange(n) * DAY
    sql = np.where(np.array(converts), created + 10 * DAY, NEVER)
    never = np.full(n, NEVER)
    frame = LeadFrame(np.array([f"L{i}" for i in range(n)], dtype=object), created,
                      np.array(["direct"] * n, dtype=object), sql, never, never, start + 90 * DAY, start + 200 * DAY)
    return frame, Period("training", start, start + 60 * DAY, start + 200 * DAY)


def test_a_setting_that_qualifies_everybody_or_nobody_is_not_recommended() -> None:
    converts = [True, True, True] + [False] * 7
    frame, period = _frame(converts)
    created = frame.created_at
    settings = [Setting("combined", None, t) for t in (0.0, 50.0, 200.0)]
    times = np.column_stack([
        created,  # threshold 0: every lead qualifies at creation
        np.where(np.isin(np.arange(10), [2, 3]), created + DAY, NEVER),  # threshold 50: one converter, one not
        np.full(10, NEVER),  # threshold 200: nobody
    ])
    ind = indicators(times, frame, period, 90 * DAY, "sql")
    point = metrics(ind)
    assert ind.everybody.tolist() == [True, False, False] and point.mqls.tolist() == [10, 2, 0]
    assert point.f_beta(1.0)[0] > point.f_beta(1.0)[1]  # left to F1 alone, "everybody" would win
    allowed = (point.mqls > 0) & ~ind.everybody
    assert choose(settings, point, GOAL, min_mqls=1, allowed=allowed).index == 1
    only_everybody = np.array([True, False, False])
    nothing = choose(settings, point, GOAL, min_mqls=1, allowed=only_everybody & ~ind.everybody)
    assert nothing.index is None and "every setting that qualifies anyone" in nothing.note
    # Nothing converts: no threshold (in particular not 0) is recommended.
    frame, period = _frame([False] * 10)
    ind = indicators(times, frame, period, 90 * DAY, "sql")
    choice = choose(settings, metrics(ind), GOAL, min_mqls=1)
    assert choice.index is None and "nothing to calibrate" in choice.note


def test_calibrate_recommends_nothing_when_no_mql_converts(workspace: Workspace, tmp_path: Path) -> None:
    current = working_tree_version("current")
    database = workspace.project_for(current).parent / "no_outcomes.duckdb"
    built = workspace.build(current, database_name="no_outcomes.duckdb")
    assert built == database
    with duckdb.connect(str(database)) as connection:  # the same leads, but sales never took any
        connection.execute("delete from staging.stg_crm__opportunities")
        connection.execute("delete from staging.stg_crm__lead_stage_history "
                           "where lead_stage in ('sales_accepted', 'sales_qualified')")
    result = calibrate_thresholds(database, CalibrationOptions(goal=GOAL, outcome="sql", step=10, replicates=0))
    assert not result.has_recommendation and result.recommended == result.current
    assert result.summary["recommended"] is None and result.summary["var_change"] == {}
    assert "nothing to calibrate" in result.summary["no_recommendation"]
    from scripts.cli import app

    with use_database(database):
        output = CliRunner().invoke(app, ["calibrate", "--bootstrap", "0", "--out", str(tmp_path)])
    assert output.exit_code == 0, output.output
    assert "No recommendation" in output.output and "Apply" not in output.output
