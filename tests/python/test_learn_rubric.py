"""`mql learn`'s fitting, without dbt: synthetic learning tables whose true model is known.

The data: a categorical attribute with ordered effects (plus a rare level), a number with a log effect and a
count signal that saturates, the label drawn from the logistic of their sum. What is checked: the learned points
rank fresh leads almost as well as the true model, keep the levels' order, and map to a calibrated probability;
nothing of the holdout rows changes what is fitted; the split keeps leads whole; the seeds have the project's
columns; the rules mean what the engine's seeds mean.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from scripts.calibrate.frame import NEVER, LeadFrame
from scripts.learn import metrics
from scripts.learn.features import Feature, Signal, seed_rows
from scripts.learn.model import ModelOptions
from scripts.learn.rubric import (
    FitBin,
    Rubric,
    Term,
    bands,
    best_f1_threshold,
    rubric_points,
    seed_texts,
    term_points,
)
from scripts.learn.run import PROBABILITY_COLUMNS, LearnOptions, fit_rubric
from scripts.learn.table import LearningTable, LearnRefused, plan, snapshot_rows, stratified_holdout

ROOT = Path(__file__).resolve().parents[2]
DAY = 86_400.0
SIGNAL = Signal("S001", "page_view", "page_category", "", "pricing")
FEATURES = [Feature("fit:seniority", "category", attribute="seniority"),
            Feature("fit:employee_count", "number", attribute="employee_count"),
            Feature("signal:S001", "count", signal=SIGNAL)]
LEVEL_EFFECT = {"c_level": 1.2, "manager": 0.4, "individual": -0.6}
OPTIONS = LearnOptions(min_positives=30, bootstrap=0, model=ModelOptions(outer_bags=2))


def true_logit(data: pd.DataFrame) -> npt.NDArray[np.float64]:
    level = data["fit:seniority"].map(lambda v: LEVEL_EFFECT.get(v, 0.0)).to_numpy(dtype=np.float64)
    size = 0.8 * np.log10(np.nan_to_num(data["fit:employee_count"].to_numpy(dtype=np.float64), nan=10.0))
    visits = 0.5 * np.minimum(data["signal:S001"].to_numpy(dtype=np.float64), 4.0)
    return -3.0 + level + size + visits


def synthetic(n: int, seed: int, prefix: str = "L") -> tuple[pd.DataFrame, npt.NDArray[np.int_]]:
    rng = np.random.default_rng(seed)
    seniority = rng.choice([*LEVEL_EFFECT, "rare_title"], size=n, p=[0.25, 0.35, 0.395, 0.005]).astype(object)
    seniority[rng.random(n) < 0.1] = None
    employees = np.round(10 ** rng.uniform(0.5, 4.0, n))
    employees[rng.random(n) < 0.05] = np.nan
    data = pd.DataFrame({"fit:seniority": seniority, "fit:employee_count": employees,
                         "signal:S001": rng.poisson(1.5, n).astype(np.float64)})
    label = (rng.random(n) < 1 / (1 + np.exp(-true_logit(data)))).astype(np.int_)
    data.index = [f"{prefix}{i:05d}" for i in range(n)]
    return data, label


def table_of(data: pd.DataFrame, label: npt.NDArray[np.int_], holdout: npt.NDArray[np.bool_]) -> LearningTable:
    return LearningTable(data=data.reset_index(drop=True), features=list(FEATURES),
                         contact_id=np.array(data.index, dtype=object), instant=np.full(len(data), np.nan),
                         label=label, is_holdout=holdout)


@pytest.fixture(scope="module")
def learned() -> tuple[Rubric, pd.DataFrame, npt.NDArray[np.int_]]:
    """A rubric fitted on 6,000 synthetic leads, and 20,000 fresh leads to judge it."""
    data, label = synthetic(6000, seed=1)
    rubric, _ = fit_rubric(table_of(data, label, np.zeros(len(data), dtype=bool)), OPTIONS)
    fresh, fresh_label = synthetic(20000, seed=2, prefix="F")
    return rubric, fresh.reset_index(drop=True), fresh_label


def total_points(rubric: Rubric, data: pd.DataFrame) -> npt.NDArray[np.float64]:
    fit, engagement = rubric_points(rubric.terms, data)
    return fit + engagement


def test_learned_points_rank_fresh_leads_like_the_true_model(learned: tuple[Rubric, pd.DataFrame,
                                                                              npt.NDArray[np.int_]]) -> None:
    rubric, fresh, label = learned
    learned_auc = metrics.auc(total_points(rubric, fresh), label)
    best_possible = metrics.auc(true_logit(fresh), label)
    assert learned_auc > best_possible - 0.015, (learned_auc, best_possible)
    names = {term.feature.name for term in rubric.terms}
    assert names == {f.name for f in FEATURES}  # every feature carries signal, every one earned a term


def test_learned_levels_keep_their_order_and_rare_levels_are_pooled(
        learned: tuple[Rubric, pd.DataFrame, npt.NDArray[np.int_]]) -> None:
    rubric, _, _ = learned
    term = next(t for t in rubric.terms if t.feature.name == "fit:seniority")
    levels = pd.DataFrame({"fit:seniority": ["c_level", "manager", "individual"]})
    c_level, manager, individual = term_points(term, levels)
    assert c_level > manager > individual
    assert all("rare_title" not in b.values or len(b.values) > 1 or b.points == 0 for b in term.bins)
    size = next(t for t in rubric.terms if t.feature.name == "fit:employee_count")
    small, large = term_points(size, pd.DataFrame({"fit:employee_count": [5.0, 5000.0]}))
    assert large > small
    visits = next(t for t in rubric.terms if t.feature.name == "signal:S001")
    none, one, many = term_points(visits, pd.DataFrame({"signal:S001": [0.0, 1.0, 6.0]}))
    assert many > one > none == 0


def test_probability_of_the_points_is_calibrated_on_fresh_leads(
        learned: tuple[Rubric, pd.DataFrame, npt.NDArray[np.int_]]) -> None:
    """Tolerance: expected calibration error (10 equal-count bins) under 0.02 on 20,000 fresh leads, whose
    sampling noise alone is about 0.006."""
    rubric, fresh, label = learned
    probability = 1 / (1 + np.exp(-(rubric.intercept + rubric.slope * total_points(rubric, fresh))))
    _, error, brier = metrics.reliability(probability, label)
    assert error < 0.02, error
    base_rate = float(label.mean())
    assert brier < base_rate * (1 - base_rate)  # better than predicting the base rate


def test_holdout_rows_never_reach_the_fit() -> None:
    """Scrambling the holdout's labels and features leaves the rubric as it was; scrambling training labels
    does not (so the comparison can see a change)."""
    data, label = synthetic(4000, seed=3)
    holdout = np.random.default_rng(4).random(len(data)) < 0.3
    table = table_of(data, label, holdout)
    rubric, _ = fit_rubric(table, OPTIONS)

    scrambled = data.copy()
    rng = np.random.default_rng(5)
    for column in scrambled.columns:
        values = scrambled[column].to_numpy().copy()
        values[holdout] = rng.permutation(values[holdout])
        scrambled[column] = values
    scrambled.loc[holdout, "fit:employee_count"] = 1e9
    flipped = np.where(holdout, 1 - label, label)
    again, _ = fit_rubric(table_of(scrambled, flipped, holdout), OPTIONS)
    assert seed_texts(again, []) == seed_texts(rubric, [])
    assert (again.intercept, again.slope, again.threshold) == (rubric.intercept, rubric.slope, rubric.threshold)
    assert (again.fit_grade_bands, again.engagement_bands) == (rubric.fit_grade_bands, rubric.engagement_bands)

    train_flipped = np.where(~holdout & (np.arange(len(label)) % 3 == 0), 1 - label, label)
    changed, _ = fit_rubric(table_of(data, train_flipped, holdout), OPTIONS)
    assert seed_texts(changed, []) != seed_texts(rubric, [])


def test_refuses_with_too_few_positive_leads() -> None:
    data, label = synthetic(600, seed=6)
    table = table_of(data, label, np.zeros(len(data), dtype=bool))
    with pytest.raises(LearnRefused, match="the current rubric stays"):
        fit_rubric(table, replace(OPTIONS, min_positives=int(label.sum()) + 1))
    fit_rubric(table, replace(OPTIONS, min_positives=int(label.sum())))  # exactly enough: learns


def test_stratified_split_keeps_leads_whole_and_is_reproducible() -> None:
    data, label = synthetic(1000, seed=7)
    twice = pd.concat([data, data])  # two snapshot rows per lead
    table = table_of(twice, np.concatenate([label, np.roll(label, 1)]), np.zeros(len(twice), dtype=bool))
    flags = stratified_holdout(table, 0.3, seed=0)
    by_lead = pd.Series(flags).groupby(table.contact_id).nunique()
    assert (by_lead == 1).all()
    share = pd.Series(flags).groupby(table.contact_id).first().mean()
    assert abs(share - 0.3) < 0.01
    assert (stratified_holdout(table, 0.3, seed=0) == flags).all()
    assert not (stratified_holdout(table, 0.3, seed=1) == flags).all()
    lead_positive = pd.Series(table.label).groupby(table.contact_id).max()
    lead_holdout = pd.Series(flags).groupby(table.contact_id).first()
    rate_in = lead_positive[lead_holdout].mean()
    rate_out = lead_positive[~lead_holdout].mean()
    assert abs(rate_in - rate_out) < 0.01


def lead_frame(created: npt.NDArray[np.float64], sql_at: npt.NDArray[np.float64], data_end: float) -> LeadFrame:
    n = len(created)
    never = np.full(n, NEVER)
    return LeadFrame(contact_id=np.array([f"C{i}" for i in range(n)], dtype=object), created_at=created,
                     channel=np.full(n, "web", dtype=object), sql_at=sql_at, opportunity_at=never.copy(),
                     won_at=never.copy(), activity_end=data_end, data_end=data_end)


def test_plan_splits_dated_history_by_time_and_snapshot_exports_by_lead() -> None:
    start = 1.7e9
    created = start + np.linspace(0, 400, 1000) * DAY
    frame = lead_frame(created, np.full(1000, NEVER), start + 500 * DAY)
    the_plan = plan(frame, "auto", 0.3, 4, 30 * DAY)
    assert the_plan.split == "time" and the_plan.cutoff is not None
    assert the_plan.cutoff == pytest.approx(float(np.quantile(created, 0.7)))
    assert the_plan.train_instants and all(t is not None and t <= the_plan.cutoff for t in the_plan.train_instants)
    assert the_plan.holdout_instants and all(t is not None and t > the_plan.cutoff
                                             for t in the_plan.holdout_instants)

    export = lead_frame(np.full(1000, start), np.full(1000, NEVER), start + DAY)
    assert plan(export, "auto", 0.3, 4, 30 * DAY).split == "stratified"
    assert plan(export, "auto", 0.3, 4, 30 * DAY).train_instants == (None,)
    with pytest.raises(LearnRefused, match="--split stratified"):
        plan(export, "time", 0.3, 4, 30 * DAY)


def test_snapshot_rows_label_the_horizon_and_drop_leads_sales_already_took() -> None:
    at, horizon = 1.7e9, 30 * DAY
    sql_at = np.array([at - DAY, at + DAY, at + 29 * DAY, at + 31 * DAY, NEVER])
    frame = lead_frame(np.full(5, at - 100 * DAY), sql_at, at + 200 * DAY)
    attributes = pd.DataFrame({"contact_id": frame.contact_id})
    counts = pd.DataFrame({"signal:S001": np.zeros(5)})
    rows, label = snapshot_rows(attributes, counts, frame, "sql", at, horizon)
    assert rows["contact_id"].tolist() == ["C1", "C2", "C3", "C4"]  # C0 was sales' before the snapshot
    assert label.tolist() == [1, 1, 0, 0]
    _, ever = snapshot_rows(attributes, counts, frame, "sql", None, horizon)
    assert ever.tolist() == [1, 1, 1, 1, 0]


def test_learned_seeds_have_the_project_seed_columns(
        learned: tuple[Rubric, pd.DataFrame, npt.NDArray[np.int_]]) -> None:
    rubric, _, _ = learned
    for relative, text in seed_texts(rubric, []).items():
        project_header = (ROOT / relative).read_text(encoding="utf-8").splitlines()[0]
        assert text.splitlines()[0] == project_header, relative
    probability = (ROOT / "seeds/scoring/score_probability.csv").read_text(encoding="utf-8").splitlines()[0]
    assert probability == ",".join(PROBABILITY_COLUMNS)
    fit_rows = seed_rows(seed_texts(rubric, [])["seeds/scoring/fit_rules.csv"])
    assert fit_rows and len({row["rule_id"] for row in fit_rows}) == len(fit_rows)
    assert all(row["score_family"] == ("fit" if float(row["points"]) > 0 else "negative") for row in fit_rows)


def test_term_points_follow_the_seed_semantics() -> None:
    count = Feature("signal:S001", "count", signal=SIGNAL)
    capped = Term(count, first_points=5, per_event=2, cap=6)
    visits = pd.DataFrame({"signal:S001": [0.0, 1.0, 2.0, 3.0, 9.0]})
    assert term_points(capped, visits).tolist() == [0, 7, 9, 11, 11]
    penalty = Term(count, per_event=-2, cap=-6)
    assert term_points(penalty, visits).tolist() == [0, -2, -4, -6, -6]
    size = Term(Feature("fit:employee_count", "number", attribute="employee_count"),
                bins=[FitBin(10, min_value=None, max_value=50.0), FitBin(-5, min_value=500.0, max_value=None)])
    sizes = pd.DataFrame({"fit:employee_count": [np.nan, 49.0, 50.0, 499.0, 500.0]})
    assert term_points(size, sizes).tolist() == [0, 10, 0, 0, -5]  # bins are [min, max)


def test_threshold_and_bands_come_from_the_points() -> None:
    rng = np.random.default_rng(8)
    total = np.round(rng.normal(0, 20, 5000))
    label = (rng.random(5000) < 1 / (1 + np.exp(-(total / 10 - 2)))).astype(np.int_)
    threshold = best_f1_threshold(total, label)
    assert threshold == math.floor(threshold)
    share = float((total >= threshold).mean())
    assert 0.02 <= share <= 0.30
    grades = bands(total, (0.9, 0.7, 0.4), ("A", "B", "C"))
    assert grades["A"] > grades["B"] > grades["C"]
    assert abs(float((total >= grades["A"]).mean()) - 0.1) < 0.03


def test_attributes_read_missing_booleans_as_missing_and_custom_keys_as_features() -> None:
    """A nullable boolean's missing value (pandas NA) is no value, not the text '<na>' a rule could never match."""
    import duckdb

    from scripts.learn.features import STANDARD_ATTRIBUTES, read_attributes

    connection = duckdb.connect()
    columns = ", ".join(f"null::{'double' if kind == 'number' else 'varchar'} as {name}"
                        for name, kind in STANDARD_ATTRIBUTES.items() if name != "has_budget_authority")
    connection.execute(f"""
        create schema intermediate;
        create table intermediate.int_contact_attributes as
        select contact_id, version_number, budget::boolean as has_budget_authority, {columns},
               custom_attributes, null::varchar as account_custom_attributes
        from (values ('C1', 1, true, '{{"plan": "Pro", "seats": 3}}'), ('C1', 2, false, '{{"plan": "Pro"}}'),
                     ('C2', 1, null, '{{"plan": " free ", "seats": 12}}'), ('C3', 1, true, null))
             as t(contact_id, version_number, budget, custom_attributes)
    """)
    table, features = read_attributes(connection, None)
    assert table["contact_id"].tolist() == ["C1", "C2", "C3"]
    assert [None if pd.isna(v) else v for v in table["fit:has_budget_authority"]] == ["false", None, "true"]  # C1's latest version
    assert [None if pd.isna(v) else v for v in table["custom:plan"]] == ["pro", "free", None]
    assert np.array_equal(table["custom:seats"].to_numpy(dtype=np.float64), [np.nan, 12.0, np.nan], equal_nan=True)
    # C1's seats were in its older version only: at the build's point in time C1 has none
    assert {f.name: f.kind for f in features} == {"fit:has_budget_authority": "category",
                                                  "custom:plan": "category", "custom:seats": "number"}
