"""`mql learn` end to end on generated data: the learned seeds are built and scored by dbt like any rubric.

The generator gives every contact a hidden propensity `z` that drives its titles and its sales outcomes (and,
with noise, its events); the starter rubric was written by hand for that world. A learned rubric has to rank the
holdout better than the starter rubric and follow `z` more closely, its probability has to be calibrated, and
dbt's scores of the learned seeds have to be the rubric's points exactly.

The data is sized for the learner, not for dbt: many leads with few events (20,000 contacts over three years, 3
events each), a one-year horizon for the SQL outcome (the generator's leads take a median 200 days to reach it),
one snapshot and a stratified split (3 dbt builds besides the source build).
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from scripts.calibrate.workspace import Workspace, working_tree_version
from scripts.generate import MessyConfig, generate_dataset
from scripts.generate.campaigns import make_campaigns
from scripts.generate.config import (
    STREAM_ACCOUNTS,
    STREAM_CAMPAIGNS,
    STREAM_CONTACTS,
    STREAM_REPS,
    Window,
    rng_for,
)
from scripts.generate.people import make_accounts, make_contacts, make_reps
from scripts.learn.run import LearnOptions, LearnResult, learn, learned_version, write_result
from tests.python.helpers import use_database

CONTACTS, SEED, MONTHS, END = 20_000, 11, 36, date(2026, 6, 30)
OPTIONS = LearnOptions(outcome="sql", horizon_days=365, split="stratified", snapshots=1, bootstrap=20,
                       min_positives=40)
CALIBRATION_TOLERANCE = 0.015
"""Expected calibration error (10 equal-count bins) allowed on the holdout (about 3,700 rows, 1% positive, whose
sampling noise alone is about 0.004)."""


def hidden_propensity() -> pd.Series:
    """The generator's hidden propensity z of every contact, by contact_id (drawn again from the same streams)."""
    window = Window.from_end(END, MONTHS)
    reps = make_reps(CONTACTS, window, rng_for(SEED, STREAM_REPS))
    accounts = make_accounts(max(1, (CONTACTS + 2) // 4), rng_for(SEED, STREAM_ACCOUNTS), reps)
    campaigns = make_campaigns(CONTACTS, window, rng_for(SEED, STREAM_CAMPAIGNS))
    people = make_contacts(CONTACTS, window, accounts, reps, campaigns, MessyConfig.none().as_dict(),
                           rng_for(SEED, STREAM_CONTACTS))
    return pd.Series(people.z, index=people.ids(np.arange(1, CONTACTS + 1)).to_pylist())


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The generated history built with the working tree's rubric (raw tables, scoring marts, CRM staging)."""
    root = tmp_path_factory.mktemp("learn")
    generate_dataset(root / "data", contacts=CONTACTS, seed=SEED, events_per_contact=3.0, months=MONTHS,
                     end_date=END, messy=MessyConfig.none(), progress=False)
    from scripts.load import load_directory

    load_directory(root / "data", root / "history.duckdb")
    with Workspace(root / "history.duckdb", root=root / "source") as workspace:
        yield workspace.build(working_tree_version("current"))


@pytest.fixture(scope="module")
def result(source: Path, tmp_path_factory: pytest.TempPathFactory) -> LearnResult:
    return learn(source, OPTIONS, workspace_root=tmp_path_factory.mktemp("learn-workspace"))


def _model(result: LearnResult, name: str) -> dict[str, object]:
    return next(m for m in result.card["models"] if m["name"] == name)


def test_learned_rubric_ranks_better_than_the_starter_and_follows_the_hidden_propensity(
        result: LearnResult) -> None:
    learned, current = _model(result, "learned rubric (dbt)"), _model(result, "current rubric (dbt)")
    assert float(learned["auc"]) > float(current["auc"]), (learned["auc"], current["auc"])  # type: ignore[arg-type]
    holdout = result.holdout
    z = hidden_propensity().reindex(holdout["contact_id"]).to_numpy()
    assert not np.isnan(z).any()
    follows_learned = pd.Series(holdout["learned_total"].to_numpy()).corr(pd.Series(z), method="spearman")
    follows_current = pd.Series(holdout["current_total"].to_numpy()).corr(pd.Series(z), method="spearman")
    assert follows_learned > follows_current + 0.01, (follows_learned, follows_current)


def test_dbt_scores_the_learned_seeds_as_the_rubric_defines_them(result: LearnResult) -> None:
    matches = result.card["dbt_matches_rubric"]
    assert matches["rows"] == len(result.holdout) > 3000
    assert matches["max_abs_difference"] < 1e-6
    assert result.card["data"]["holdout_leads"] == result.holdout["contact_id"].nunique()
    assert result.card["terms"], "the learned rubric has terms"


def test_conversion_probability_from_dbt_is_calibrated_on_the_holdout(result: LearnResult) -> None:
    learned = _model(result, "learned rubric (dbt)")
    assert result.card["probability"]["source"] == "dim_leads.conversion_probability"
    assert float(learned["calibration_error"]) < CALIBRATION_TOLERANCE  # type: ignore[arg-type]
    holdout = result.holdout
    expected = 1 / (1 + np.exp(-(result.rubric.intercept + result.rubric.slope * holdout["learned_total"])))
    assert np.allclose(holdout["conversion_probability"], expected, atol=1e-9)


def test_written_result_is_a_rule_version(result: LearnResult, tmp_path: Path) -> None:
    written = write_result(result, tmp_path)
    assert {p.name for p in written} >= {"fit_rules.csv", "engagement_rules.csv", "score_probability.csv",
                                         "learned_vars.yml", "model_card.json"}
    version = learned_version(tmp_path, working_tree_version("current"))
    for relative, text in result.seeds.items():
        assert version.seed_files[relative] == text
    assert version.dbt_vars["mql_combined_threshold"] == result.learned_vars["mql_combined_threshold"]
    assert version.dbt_vars["qualification_mode"] == "combined"


def test_report_shows_the_model_card_as_written(result: LearnResult, source: Path, tmp_path: Path) -> None:
    from scripts.report.config import ReportConfig
    from scripts.report.render import build_report

    write_result(result, tmp_path)
    report = build_report(source, config=ReportConfig(), calibration_dir=None, learned_dir=tmp_path)
    section = next(s for s in report.sections if s.key == "model-card")
    assert section.state == "chart" and section.source.endswith("model_card.json")
    learned = _model(result, "learned rubric (dbt)")
    assert f"{learned['auc']:.3f} [{learned['auc_low']:.3f}, {learned['auc_high']:.3f}]" in section.body
    assert 'id="chart-model-card"' in section.body and "perfectly calibrated" in section.body
    first_term = result.card["terms"][0]["rules"]
    assert html.escape(first_term) in section.body
    without = build_report(source, config=ReportConfig(), calibration_dir=None, learned_dir=tmp_path / "none")
    assert all(s.key != "model-card" for s in without.sections)


def test_learn_refuses_on_too_little_history_and_writes_nothing(built_warehouse: Path, tmp_path: Path) -> None:
    from scripts.cli import app

    out = tmp_path / "learned"
    with use_database(built_warehouse):
        refused = CliRunner().invoke(app, ["learn", "--min-positives", "100000", "--out", str(out)])
    assert refused.exit_code == 1, refused.output
    said = " ".join(refused.output.split())  # the console wraps long lines
    assert "mql learn refused" in said and "the current rubric stays" in said
    assert "Traceback" not in said
    assert not out.exists()
