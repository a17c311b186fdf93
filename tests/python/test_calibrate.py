"""`mql calibrate`: the sweep reads point-in-time scores (no leakage), recommends a setting per goal, works with
little history, and the rule-lift proposal builds and backtests."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from scripts.calibrate.backtest import calibrate_rules
from scripts.calibrate.frame import LeadFrame, Setting, connect, load_leads, qualification_times
from scripts.calibrate.lift import (
    ENGAGEMENT_SEED,
    RegressionFit,
    fit_weights,
    proposed_seed_text,
    read_rules,
    rule_lift,
)
from scripts.calibrate.periods import DAY, plan_periods, to_datetime, to_epoch
from scripts.calibrate.recommend import Goal, choose
from scripts.calibrate.snapshots import read_snapshot
from scripts.calibrate.sweep import Metrics
from scripts.calibrate.threshold import (
    CalibrationOptions,
    calibrate_thresholds,
    current_setting,
    qualification_frame,
)
from scripts.calibrate.workspace import Workspace, project_vars, working_tree_version
from scripts.generate import MessyConfig, generate_dataset
from scripts.load import load_directory
from scripts.paths import PROJECT_ROOT
from tests.python.helpers import use_database

SHARED = PROJECT_ROOT.parent / "shared" / "data"
CUTOFF = "2025-10-01 00:00:00"


@pytest.fixture(scope="module")
def raw_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Clean generated data (600 leads, 18 months) loaded into a raw-only DuckDB."""
    root = tmp_path_factory.mktemp("calibrate")
    generate_dataset(root / "data", contacts=600, seed=21, events_per_contact=30.0, messy=MessyConfig.none(),
                     progress=False)
    database = root / "source.duckdb"
    load_directory(root / "data", database)
    return database


@pytest.fixture(scope="module")
def workspace(raw_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    with Workspace(raw_db, root=tmp_path_factory.mktemp("workspace")) as ws:
        yield ws


@pytest.fixture(scope="module")
def warehouse(workspace: Workspace) -> Path:
    """The scoring marts built from the working tree's rules."""
    return workspace.build(working_tree_version("current"))


def test_sweep_reproduces_the_warehouse_mql_times(warehouse: Path) -> None:
    result = calibrate_thresholds(warehouse, CalibrationOptions(goal=Goal("fbeta", 1.0), replicates=0))
    assert not any("other --vars" in w for w in result.warnings)
    derived = qualification_frame(result, result.current).set_index("contact_id")["qualified_at"]
    with connect(warehouse) as connection:
        built = dict(connection.execute(
            "select contact_id, min(qualified_at) from marts.fct_mql_events group by 1").fetchall())
    assert len(built) > 20
    for contact_id, at in derived.items():
        assert built.get(contact_id) == (None if at is None or pd.isna(at) else at), contact_id
    # A higher threshold never makes more MQLs in a period.
    sweep = result.sweep[(result.sweep["period"] == "training") & (result.sweep["min_fit_grade"] == "B")]
    assert (np.diff(sweep.sort_values("threshold")["mqls"].to_numpy()) <= 0).all()


def test_the_sweep_analysis_gives_the_same_numbers_as_the_command(warehouse: Path, workspace: Workspace) -> None:
    result = calibrate_thresholds(warehouse, CalibrationOptions(goal=Goal("fbeta", 1.0), outcome="sql", step=10,
                                                                replicates=0, mode="fit_and_engagement"))
    training = result.periods.training
    sql = workspace.compile_analysis(working_tree_version("current"), "threshold_sweep", {
        "calibration_mode": "fit_and_engagement",
        "calibration_start": str(to_datetime(training.start)), "calibration_end": str(to_datetime(training.end)),
        "calibration_outcome": "sql", "calibration_horizon_days": 90, "calibration_step": 10,
        "calibration_max_threshold": 100})
    with connect(warehouse) as connection:
        analysis = connection.execute(sql).fetchdf()
    analysis["min_fit_grade"] = analysis["min_fit_grade"].replace("any", "")  # combined mode: no minimum grade
    ours = result.sweep[(result.sweep["period"] == "training") & (result.sweep["threshold"] <= 100)]
    merged = ours.merge(analysis, on=["min_fit_grade", "threshold"], suffixes=("", "_sql"))
    assert len(merged) == len(ours) > 20
    assert (merged["mqls"] == merged["mqls_sql"]).all()
    for ours_column, sql_column in (("mql_to_sql", "mql_to_sql_sql"), ("precision", "mql_precision"),
                                    ("recall", "recall_sql"), ("lift", "lift_sql")):
        np.testing.assert_allclose(merged[ours_column].astype(float), merged[sql_column].astype(float),
                                   rtol=1e-9, equal_nan=True, err_msg=ours_column)


def _inject_future_events(database: Path, cutoff: str, leads: list[str]) -> int:
    """Give `leads` hand-raiser and pricing events one second and one day after the cut-off (in the raw data
    of `database`), as a new load (one second after the last, so the incremental build picks them up)."""
    with duckdb.connect(str(database)) as connection:
        loaded = connection.execute("select max(_loaded_at) + interval 1 second from raw.events").fetchone()[0]
        rows = []
        for n, contact_id in enumerate(leads):
            for k, (event_type, url, delay) in enumerate([("demo_request", None, "1 second"),
                                                          ("contact_sales", None, "1 day"),
                                                          ("page_view", "https://example.com/pricing", "1 day")]):
                at = connection.execute(f"select cast(timestamp '{cutoff}' + interval {delay} as varchar)"
                                        ).fetchone()[0]
                rows.append((f"FUTURE{n:04d}{k}", contact_id, event_type, at, url, loaded, len(rows)))
        connection.executemany(
            "insert into raw.events (event_id, contact_id, event_type, occurred_at, url, _loaded_at, _source_file, "
            "_source_row) values (?, ?, ?, ?, ?, ?, 'injected.csv', ?)", rows)
        return int(connection.execute("select count(*) from raw.events where _source_file = 'injected.csv'"
                                      ).fetchone()[0])


def test_a_score_at_t_ignores_events_after_t(workspace: Workspace, warehouse: Path) -> None:
    current = working_tree_version("current")
    cutoff = to_epoch(datetime.fromisoformat(CUTOFF))
    settings = [Setting("fit_and_engagement", "B", 60.0), Setting("fit_and_engagement", "D", 20.0)]
    with connect(warehouse) as connection:
        frame = load_leads(connection)
        full_times = qualification_times(connection, frame, settings)
    snapshots = []
    database = workspace.project_for(current).parent / "leakage.duckdb"
    for inject in (False, True):
        if inject:
            early = [str(c) for c, at in zip(frame.contact_id, frame.created_at, strict=True)
                     if at < cutoff - 30 * DAY][:25]
            assert _inject_future_events(database, CUTOFF, early) == 75
        assert workspace.build(current, as_of=CUTOFF, database_name="leakage.duckdb") == database
        snapshots.append(read_snapshot(database, cutoff, frame, "opportunity", 90 * DAY))
        with connect(database) as connection:
            cut_times = qualification_times(connection, frame, settings)
            staged_later = connection.execute(
                "select count(*) from staging.stg_marketing__events where event_id like 'FUTURE%'").fetchone()[0]
        assert staged_later == (75 if inject else 0)  # the injected events are staged; only the cut-off drops them
        # The instants the sweep takes as "qualified by T" come out the same from a build cut at T.
        np.testing.assert_array_equal(np.where(full_times <= cutoff, full_times, np.inf), cut_times)
    before, after = snapshots
    assert len(before.leads) > 100
    pd.testing.assert_frame_equal(before.leads, after.leads)
    pd.testing.assert_frame_equal(before.points, after.points)


def _metrics(mqls: list[float], precision: list[float], positives: float = 10.0) -> Metrics:
    m, p = np.array(mqls), np.array(precision)
    tp = m * p
    return Metrics(mqls=m, mqls_per_month=m, conversion={"sql": p, "opportunity": p, "won": p}, precision=p,
                   recall=tp / positives, base_rate=np.full(len(m), 0.02), lift=p / 0.02, true_positives=tp,
                   positives=np.full(len(m), positives))


SETTINGS = [Setting("fit_and_engagement", "B", float(t)) for t in (0, 10, 20, 30, 40)]
POINT = _metrics([100, 60, 30, 10, 2], [0.05, 0.10, 0.20, 0.40, 0.50])


@pytest.mark.parametrize(("goal", "threshold", "met"), [
    (Goal("conversion", 0.15), 20, True),  # reaches 15%: the setting converting the most leads
    (Goal("conversion", 0.60), 30, False),  # unreachable: the best conversion with enough MQLs
    (Goal("capacity", 50), 20, True),  # within 50 a month: the most conversions
    (Goal("capacity", 1), 30, False),  # nothing fits: the fewest MQLs (with enough to measure)
    (Goal("fbeta", 1.0), 30, True),
    (Goal("fbeta", 2.0), 20, True),  # recall weighs more: a lower threshold
])
def test_recommendation_for_each_goal(goal: Goal, threshold: float, met: bool) -> None:
    choice = choose(SETTINGS, POINT, goal, min_mqls=5)
    assert (SETTINGS[choice.index].threshold, choice.met) == (threshold, met)
    assert bool(choice.note) == (not met)


@pytest.mark.parametrize("goal", [Goal("conversion", 0.2), Goal("capacity", 3.0), Goal("fbeta", 1.0)])
def test_calibration_meets_the_goal_on_training_and_reports_the_holdout(warehouse: Path, goal: Goal) -> None:
    result = calibrate_thresholds(warehouse, CalibrationOptions(goal=goal, outcome="sql", replicates=50))
    summary = result.summary
    chosen = summary["training"]["recommended"]
    train = result.sweep[result.sweep["period"] == "training"]
    if goal.kind == "conversion" and summary["goal"]["met_on_training"]:
        assert chosen["precision"] >= goal.value
    if goal.kind == "capacity" and summary["goal"]["met_on_training"]:
        assert chosen["mqls_per_month"] <= goal.value
    if goal.kind == "fbeta":
        assert chosen["f_beta"] == pytest.approx(train["f_beta"][train["mqls"] >= 5].max())
    low, high = chosen["intervals"]["precision"]
    assert low <= chosen["precision"] <= high
    assert "holdout" in summary and summary["holdout"]["recommended"]["mqls"] >= 0
    current = current_setting(project_vars())
    expected = {k: [current.dbt_vars().get(k), v] for k, v in result.recommended.dbt_vars().items()
                if current.dbt_vars().get(k) != v}
    assert summary["var_change"] == expected
    assert set(result.by_channel["channel"]) >= {"organic_search", "paid_search"}


def _frame(days: float) -> LeadFrame:
    start = to_epoch(datetime(2026, 1, 1))
    created = start + np.linspace(0, days * DAY, 50)
    never = np.full(50, np.inf)
    return LeadFrame(np.array([f"L{i}" for i in range(50)], dtype=object), created,
                     np.array(["direct"] * 50, dtype=object), never, never, never, start + days * DAY,
                     start + days * DAY)


def test_little_history_gives_warnings_not_errors() -> None:
    short = plan_periods(_frame(120))
    assert short.horizon_days < 90 and short.holdout is not None
    assert any("horizon is shortened" in w for w in short.warnings)
    tiny = plan_periods(_frame(20))
    assert tiny.holdout is None
    assert any("not enough history for a holdout" in w for w in tiny.warnings)


def test_rule_lift_suggests_points_from_the_signal() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    strong = rng.poisson(1.0, n) * 10.0  # E01 pricing points
    weak = rng.poisson(3.0, n) * 1.0  # E05 blog points: a negative signal
    noise = rng.poisson(1.0, n) * 1.0  # E06 home page points: no signal
    rare = np.zeros(n)
    rare[:3] = 50.0  # E14 demo requests: almost never
    label = (rng.random(n) < 1 / (1 + np.exp(-(-3 + 0.08 * strong - 0.3 * weak)))).astype(int)
    points = pd.DataFrame({"E01": strong, "E05": weak, "E06": noise, "E14": rare})
    leads = pd.DataFrame({"label": label})
    current = working_tree_version()
    rules = [r for r in read_rules(current.seed_files) if r.rule_id in {"E01", "E05", "E06", "E14"}]
    fit = fit_weights(points, label, strong + weak + noise + rare, replicates=30)
    table = rule_lift(leads, points, rules, fit).set_index("rule_id")
    assert table.loc["E01", "action"] in {"change", "keep"} and table.loc["E01", "lift"] > 1
    assert table.loc["E05", "action"].startswith("drop")  # its interval is on the wrong side too
    assert not table.loc["E06", "action"].startswith("drop")
    # A wrong-signed estimate whose interval reaches the rule's direction keeps the points; one whose interval
    # is wholly on the wrong side is dropped.
    doubtful = RegressionFit({"E05": -0.05, "E06": -0.01}, 10.0, 0.0, {"E05": (-0.1, -0.02), "E06": (-0.03, 0.02)})
    judged = rule_lift(leads, points, rules, doubtful).set_index("rule_id")
    assert judged.loc["E06", "action"] == "keep (no clear effect)" and judged.loc["E06", "suggested_points"] == 1
    assert judged.loc["E05", "action"].startswith("drop")
    assert table.loc["E14", "action"] == "keep (too little data)"
    proposed = list(csv.DictReader(io.StringIO(proposed_seed_text(current.seed_files[ENGAGEMENT_SEED],
                                                                  table.reset_index()))))
    by_id = {row["rule_id"]: row for row in proposed}
    assert "E05" not in by_id and by_id["E14"]["points"] == "50"
    assert float(by_id["E01"]["points"]) == table.loc["E01", "suggested_points"]
    assert float(by_id["E01"]["max_points"]) == table.loc["E01", "suggested_max_points"]
    assert by_id["E02"] == next(r for r in csv.DictReader(io.StringIO(current.seed_files[ENGAGEMENT_SEED]))
                                if r["rule_id"] == "E02")  # rules without a suggestion are untouched


def test_rule_calibration_builds_and_backtests_the_proposal(warehouse: Path, workspace: Workspace) -> None:
    options = CalibrationOptions(goal=Goal("fbeta", 1.0), outcome="sql", replicates=20)
    thresholds = calibrate_thresholds(warehouse, options)
    result = calibrate_rules(warehouse, thresholds, options, snapshot_count=1, workspace=workspace)
    assert len(result.rule_lift) == len(read_rules(working_tree_version().seed_files))
    backtest = result.summary["backtest"]
    assert isinstance(backtest, dict)  # the proposed seeds passed dbt's rule validation and built
    assert 0 <= backtest["auc"]["current"] <= 1 and 0 <= backtest["auc"]["proposed"] <= 1
    assert backtest["proposed_recommended"]["vars"]["qualification_mode"] == "combined"
    assert {"current", "proposed, current MQL volume"} <= set(result.backtest["rubric"])


def test_calibrate_command_writes_results(warehouse: Path, tmp_path: Path) -> None:
    from scripts.cli import app

    with use_database(warehouse):
        result = CliRunner().invoke(app, ["calibrate", "--capacity", "4", "--bootstrap", "20", "--out",
                                          str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Holdout validation" in result.output and "Conversion by channel" in result.output
    for name in ("sweep.csv", "sweep_monthly.csv", "by_channel.csv", "calibration.json"):
        assert (tmp_path / name).is_file(), name


@pytest.mark.skipif(not (SHARED / "olist_marketing_funnel").is_dir(),
                    reason=f"the public data sets are not at {SHARED} (CI has them)")
def test_olist_calibrates_end_to_end(workspace: Workspace, warehouse: Path, tmp_path: Path) -> None:
    from scripts.importer import run_import

    run_import(PROJECT_ROOT / "mappings" / "olist.yml", SHARED / "olist_marketing_funnel", tmp_path / "olist")
    current = working_tree_version("current")
    database = workspace.project_for(current).parent / "olist.duckdb"
    shutil.copy(warehouse, database)  # seeds already loaded: replace the raw tables and rebuild the models
    load_directory(tmp_path / "olist", database)
    database = workspace.build(current, database_name="olist.duckdb")
    result = calibrate_thresholds(database, CalibrationOptions(goal=Goal("fbeta", 1.0), horizon_days=60,
                                                               replicates=20))
    assert result.leads.n == 8000
    assert result.periods.holdout is not None
    channels = result.by_channel
    assert {"organic_search", "paid_search", "other"} <= set(channels["channel"])
    assert channels["threshold"].nunique() > 1  # conversion by channel for every threshold of the sweep
    assert result.sweep["mqls"].max() > 0
