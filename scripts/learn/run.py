"""`mql learn`: snapshots -> learning table -> additive model -> rubric seeds -> dbt builds of the current and the
learned rubric on the holdout -> model card. Every score in the card that belongs to a rubric is read from a dbt
build of that rubric; Python fits the model and the probability map, and runs the baselines."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pandas as pd
import yaml

from scripts.calibrate.frame import LeadFrame, Outcome, load_leads
from scripts.calibrate.snapshots import as_of_literal
from scripts.calibrate.workspace import RuleVersion, Workspace, working_tree_version
from scripts.learn import metrics
from scripts.learn.baselines import boosting_baseline, logistic_baseline
from scripts.learn.features import (
    CUSTOM_SEED,
    ENGAGEMENT_SEED,
    FIT_COLUMNS,
    FIT_SEED,
    Feature,
    counting_rules_text,
    read_attributes,
    read_event_types,
    read_signal_counts,
    rows_to_csv,
    seed_rows,
    signal_features,
    signals_from_rules,
)
from scripts.learn.model import AdditiveModel, ModelOptions, fit_additive, informative
from scripts.learn.rubric import (
    Rubric,
    bands,
    best_f1_threshold,
    calibrate,
    rubric_points,
    seed_texts,
    terms_from_model,
)
from scripts.learn.table import (
    LearningTable,
    LearnRefused,
    Plan,
    assemble,
    plan,
    snapshot_rows,
    stratified_holdout,
)

PROBABILITY_SEED = "seeds/scoring/score_probability.csv"
PROBABILITY_COLUMNS = ("intercept", "slope", "outcome", "horizon_days", "learned_at", "description")
DAY = 86_400.0


@dataclass(frozen=True)
class LearnOptions:
    """What to learn and how to validate it."""

    outcome: Outcome = "opportunity"
    horizon_days: float = 90.0
    split: str = "auto"
    holdout_share: float = 0.3
    seed: int = 0
    snapshots: int = 4
    min_positives: int = 50
    exclude: tuple[str, ...] = ()
    bootstrap: int = 200
    model: ModelOptions = field(default_factory=ModelOptions)


@dataclass
class LearnResult:
    """The learned rubric, its seed files and vars, the model card and the holdout rows' scores."""

    rubric: Rubric
    seeds: dict[str, str]
    learned_vars: dict[str, object]
    card: dict[str, Any]
    holdout: pd.DataFrame
    """One row per holdout row: contact_id, instant (epoch seconds, NaN for a snapshot export), label, and the
    current and learned rubrics' total_score and the learned conversion_probability as the dbt builds gave them."""


Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def feature_version(current: RuleVersion, signals_text: str) -> RuleVersion:
    """The current rubric with the counting rules instead of its engagement rules and no fit rules."""
    seeds = dict(current.seed_files)
    seeds[ENGAGEMENT_SEED] = signals_text
    seeds[FIT_SEED] = rows_to_csv([], FIT_COLUMNS)
    seeds[PROBABILITY_SEED] = rows_to_csv([], PROBABILITY_COLUMNS)
    return RuleVersion("learn features", seeds, current.dbt_vars, complete_rule_folder=True)


def _instant_literal(at: float | None) -> str | None:
    return None if at is None else as_of_literal(at)


def build_table(workspace: Workspace, current: RuleVersion, database: Path, frame: LeadFrame,
                options: LearnOptions, progress: Progress = _quiet) -> tuple[LearningTable, Plan]:
    """Feature builds at every snapshot instant, stacked into the learning table with its split."""
    signals = signals_from_rules(current.seed_files.get(ENGAGEMENT_SEED), read_event_types(database))
    version = feature_version(current, counting_rules_text(signals))
    horizon = options.horizon_days * DAY
    the_plan = plan(frame, options.split, options.holdout_share, options.snapshots, horizon)
    instants: list[tuple[float | None, bool]] = [(t, False) for t in the_plan.train_instants]
    if the_plan.split == "time":
        instants += [(t, True) for t in the_plan.holdout_instants]
    features: dict[str, Feature] = {}
    parts = []
    for at, is_holdout in instants:
        progress(f"feature build as of {_instant_literal(at) or 'the end of the data'}")
        built = workspace.build(version, as_of=_instant_literal(at), database_name="features.duckdb")
        with duckdb.connect(str(built), read_only=True) as connection:
            attributes, found = read_attributes(connection, current.seed_files.get(CUSTOM_SEED), options.exclude)
            counts = read_signal_counts(connection, attributes["contact_id"].tolist(), signals)
        for feature in [*found, *signal_features(signals)]:
            features.setdefault(feature.name, feature)
        data, label = snapshot_rows(attributes, counts, frame, options.outcome, at, horizon)
        if the_plan.split == "time" and the_plan.cutoff is not None:
            index = frame.index()
            created = frame.created_at[[index[str(c)] for c in data["contact_id"]]]
            keep = (created > the_plan.cutoff) if is_holdout else (created <= the_plan.cutoff)
            data, label = data[keep].reset_index(drop=True), label[keep]
        parts.append((data, label, at, is_holdout))
    table = assemble(parts, list(features.values()))
    if the_plan.split == "stratified":
        table.is_holdout = stratified_holdout(table, options.holdout_share, options.seed)
    return table, the_plan


def fit_rubric(table: LearningTable, options: LearnOptions) -> tuple[Rubric, AdditiveModel]:
    """Fit on the training rows only: model, terms, probability map, threshold and bands."""
    train, label = table.part(holdout=False)
    positives = int(label.sum())
    positive_leads = len(set(table.contact_id[~table.is_holdout][label == 1]))
    if min(positives, positive_leads) < options.min_positives:
        raise LearnRefused(
            f"only {positive_leads} leads reached {options.outcome} within {options.horizon_days:g} days in the "
            f"training part ({options.min_positives} needed): the current rubric stays; learn again as outcomes "
            "accrue")
    if positives == len(label):
        raise LearnRefused("every training row reached the outcome: nothing separates leads")
    model = fit_additive(train, label, informative(train, table.features), options.model)
    terms = terms_from_model(model, train)
    fit, engagement = rubric_points(terms, train)
    total = fit + engagement
    intercept, slope = calibrate(total, label)
    if not slope > 0:
        raise LearnRefused("the learned points do not rank the training leads (slope <= 0): too little signal")
    rubric = Rubric(
        terms=terms, intercept=intercept, slope=slope, threshold=best_f1_threshold(total, label),
        fit_grade_bands=bands(fit, (0.9, 0.7, 0.4), ("A", "B", "C")),
        engagement_bands=bands(engagement, (0.9, 0.7, 0.4), ("1", "2", "3")),
    )
    return rubric, model


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(float(value), 6)


def learned_files(rubric: Rubric, current: RuleVersion, options: LearnOptions) -> tuple[dict[str, str],
                                                                                     dict[str, object]]:
    """The learned seed files (relative path -> text) and the scoring vars to adopt with them."""
    seeds = seed_texts(rubric, seed_rows(current.seed_files.get(CUSTOM_SEED)))
    seeds[PROBABILITY_SEED] = rows_to_csv([{
        "intercept": f"{rubric.intercept:.8g}", "slope": f"{rubric.slope:.8g}", "outcome": options.outcome,
        "horizon_days": f"{options.horizon_days:g}", "learned_at": datetime.now(UTC).date().isoformat(),
        "description": f"mql learn: logistic fit of reaching {options.outcome} within {options.horizon_days:g} "
                       "days on total points (training part)",
    }], PROBABILITY_COLUMNS)
    learned_vars: dict[str, object] = {
        "qualification_mode": "combined",
        "mql_combined_threshold": _number(rubric.threshold),
        "fit_grade_bands": {k: _number(v) for k, v in rubric.fit_grade_bands.items()},
        "engagement_bands": {k: _number(v) for k, v in rubric.engagement_bands.items()},
    }
    return seeds, learned_vars


def _scores(database: Path) -> pd.DataFrame:
    with duckdb.connect(str(database), read_only=True) as connection:
        columns = {row[0] for row in connection.execute(
            "select column_name from information_schema.columns where table_schema = 'marts' "
            "and table_name = 'dim_leads'").fetchall()}
        probability = "conversion_probability" if "conversion_probability" in columns else "null"
        return connection.execute(f"""
            select contact_id, fit_score, engagement_score, total_score, meets_threshold,
                   {probability} as conversion_probability
            from marts.dim_leads
        """).fetchdf().set_index("contact_id")


def score_holdout(workspace: Workspace, version: RuleVersion, table: LearningTable, the_plan: Plan,
                  progress: Progress = _quiet) -> pd.DataFrame:
    """The dbt build's scores of `version` for every holdout row (built as of each holdout instant)."""
    mask = table.is_holdout
    ids, instants = table.contact_id[mask].astype(str), table.instant[mask]
    out = pd.DataFrame(index=np.arange(mask.sum()), columns=["fit_score", "engagement_score", "total_score",
                                                             "meets_threshold", "conversion_probability"],
                       dtype=object)
    for at in the_plan.holdout_instants:
        progress(f"{version.label} build as of {_instant_literal(at) or 'the end of the data'}")
        built = workspace.build(version, as_of=_instant_literal(at), database_name="holdout.duckdb")
        scores = _scores(built)
        rows = np.isnan(instants) if at is None else instants == at
        out.loc[rows] = scores.reindex(ids[rows]).to_numpy()
    return out


def _model_entry(name: str, score: npt.NDArray[np.float64], label: npt.NDArray[np.int_],
                 groups: npt.NDArray[np.int_], options: LearnOptions,
                 selected: npt.NDArray[np.bool_] | None = None, threshold_label: str = "",
                 probability: npt.NDArray[np.float64] | None = None) -> dict[str, Any]:
    low, high = metrics.auc_interval(score, label, groups, options.bootstrap, options.seed)
    entry: dict[str, object] = {"name": name, "auc": metrics.auc(score, label), "auc_low": low, "auc_high": high,
                                "at_volumes": metrics.at_volumes(score, label)}
    if selected is not None:
        entry["at_threshold"] = {"setting": threshold_label, **metrics.precision_recall(selected, label)}
    if probability is not None:
        curve, ece, brier = metrics.reliability(probability, label)
        entry.update({"brier": brier, "calibration_error": ece, "reliability": curve})
    return entry


def learn(database: Path, options: LearnOptions, *, raw_schema: str = "raw", workspace_root: Path | None = None,
          progress: Progress = _quiet) -> LearnResult:
    """Learn a rubric from the warehouse at `database` (built with the current rubric) and measure it."""
    with duckdb.connect(str(database), read_only=True) as connection:
        frame = load_leads(connection)
    positive_leads = int(np.isfinite(frame.outcome_at(options.outcome)).sum())
    if positive_leads < options.min_positives:
        raise LearnRefused(
            f"only {positive_leads} leads ever reached {options.outcome} ({options.min_positives} needed to learn "
            "from): the current rubric stays; learn again as outcomes accrue")
    current = working_tree_version("current rubric")
    with Workspace(database, raw_schema=raw_schema, root=workspace_root) as workspace:
        table, the_plan = build_table(workspace, current, database, frame, options, progress)
        progress(f"fitting on {int((~table.is_holdout).sum())} training rows")
        rubric, model = fit_rubric(table, options)
        seeds, learned_vars = learned_files(rubric, current, options)
        learned = RuleVersion("learned rubric", {**current.seed_files, **seeds},
                              {**current.dbt_vars, **learned_vars}, complete_rule_folder=True)
        current_scores = score_holdout(workspace, current, table, the_plan, progress)
        learned_scores = score_holdout(workspace, learned, table, the_plan, progress)
    card = model_card(table, the_plan, rubric, model, current, current_scores, learned_scores, options)
    mask = table.is_holdout
    holdout = pd.DataFrame({
        "contact_id": table.contact_id[mask].astype(str), "instant": table.instant[mask], "label": table.label[mask],
        "current_total": _floats(current_scores["total_score"]), "learned_total": _floats(learned_scores["total_score"]),
        "conversion_probability": _floats(learned_scores["conversion_probability"]),
    })
    return LearnResult(rubric, seeds, learned_vars, card, holdout)


def _floats(values: pd.Series) -> npt.NDArray[np.float64]:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)


def model_card(table: LearningTable, the_plan: Plan, rubric: Rubric, model: AdditiveModel, current: RuleVersion,
               current_scores: pd.DataFrame, learned_scores: pd.DataFrame,
               options: LearnOptions) -> dict[str, Any]:
    """The model card: data, split, the four models side by side on the holdout, calibration, top terms."""
    train, train_label = table.part(holdout=False)
    holdout, label = table.part(holdout=True)
    groups = table.lead_groups(holdout=True)
    learned_total = np.nan_to_num(_floats(learned_scores["total_score"]), nan=0.0)
    current_total = np.nan_to_num(_floats(current_scores["total_score"]), nan=0.0)
    probability = _floats(learned_scores["conversion_probability"])
    probability_source = "dim_leads.conversion_probability"
    if np.isnan(probability).all():
        probability = 1.0 / (1.0 + np.exp(-(rubric.intercept + rubric.slope * learned_total)))
        probability_source = "score_probability seed applied to dim_leads.total_score"
    fit, engagement = rubric_points(rubric.terms, holdout)
    expected = fit + engagement
    current_vars = current.dbt_vars
    current_setting = (f"fit+engagement >= {current_vars.get('mql_combined_threshold')}"
                       if current_vars.get("qualification_mode") == "combined"
                       else f"fit grade >= {current_vars.get('mql_min_fit_grade')}, engagement >= "
                            f"{current_vars.get('mql_engagement_threshold')}")
    features = informative(train, table.features)
    logistic = logistic_baseline(train, train_label, holdout, features, options.model)
    boosting = boosting_baseline(train, train_label, holdout, features, options.model)
    meets = current_scores["meets_threshold"].fillna(False).astype(bool).to_numpy()
    models = [
        _model_entry("current rubric (dbt)", current_total, label, groups, options, meets, current_setting),
        _model_entry("learned rubric (dbt)", learned_total, label, groups, options,
                     learned_total >= rubric.threshold, f"fit+engagement >= {rubric.threshold:g}", probability),
        _model_entry("logistic regression", logistic, label, groups, options, probability=logistic),
        _model_entry("gradient boosting", boosting, label, groups, options, probability=boosting),
    ]
    best_baseline = max(float(m["auc"]) for m in models[2:])  # type: ignore[arg-type]
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "outcome": options.outcome, "horizon_days": options.horizon_days,
        "learner": {"library": model.library, "terms": len(rubric.terms), **asdict(options.model)},
        "data": {
            "split": the_plan.split, "holdout_share": options.holdout_share, "seed": options.seed,
            "cutoff": None if the_plan.cutoff is None else as_of_literal(the_plan.cutoff),
            "train_instants": [_instant_literal(t) for t in the_plan.train_instants],
            "holdout_instants": [_instant_literal(t) for t in the_plan.holdout_instants],
            "train_rows": len(train_label), "train_positives": int(train_label.sum()),
            "train_leads": len(set(table.contact_id[~table.is_holdout])),
            "holdout_rows": len(label), "holdout_positives": int(label.sum()),
            "holdout_leads": len(set(table.contact_id[table.is_holdout])),
            "features": [f.name for f in table.features], "excluded": list(options.exclude),
        },
        "probability": {"intercept": rubric.intercept, "slope": rubric.slope, "source": probability_source},
        "recommended": {"qualification_mode": "combined", "mql_combined_threshold": rubric.threshold,
                        "fit_grade_bands": rubric.fit_grade_bands, "engagement_bands": rubric.engagement_bands},
        "models": models,
        "learned_minus_best_baseline_auc": float(models[1]["auc"]) - best_baseline,  # type: ignore[arg-type]
        "dbt_matches_rubric": {
            "rows": len(expected),
            "max_abs_difference": float(np.max(np.abs(expected - learned_total))) if len(expected) else 0.0,
        },
        "terms": [{"feature": t.feature.name, "importance": round(t.importance, 3), "rules": t.describe()}
                  for t in rubric.terms[:25]],
    }


def write_result(result: LearnResult, out: Path) -> list[Path]:
    """Write the seeds (ready to copy over seeds/scoring/), the vars and the model card into `out`."""
    written: list[Path] = []
    for relative, text in result.seeds.items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    vars_path = out / "learned_vars.yml"
    vars_path.write_text("# Scoring vars of the learned rubric: set them in dbt_project.yml with the seeds.\n"
                         + yaml.safe_dump(result.learned_vars, sort_keys=False), encoding="utf-8")
    card_path = out / "model_card.json"
    card_path.write_text(json.dumps(_clean(result.card), indent=2) + "\n", encoding="utf-8")
    return [*written, vars_path, card_path]


def _clean(value: object) -> object:
    """JSON-safe: NaN and infinities become null."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        return _clean(value.item())
    return value


def learned_version(folder: Path, base: RuleVersion, label: str = "learned rubric") -> RuleVersion:
    """A rule version from a `mql learn` output folder: `base` with the folder's seeds and vars."""
    seeds = dict(base.seed_files)
    for path in sorted((folder / "seeds" / "scoring").glob("*.csv")):
        seeds[f"seeds/scoring/{path.name}"] = path.read_text(encoding="utf-8")
    vars_path = folder / "learned_vars.yml"
    learned_vars = yaml.safe_load(vars_path.read_text(encoding="utf-8")) if vars_path.exists() else {}
    return RuleVersion(label, seeds, {**base.dbt_vars, **(learned_vars or {})}, complete_rule_folder=True)


def summary_lines(card: dict[str, Any]) -> Sequence[str]:
    """One line per model for a terminal."""
    lines = []
    for entry in card["models"]:  # type: ignore[union-attr]
        lines.append(f"{entry['name']}: AUC {entry['auc']:.3f} [{entry['auc_low']:.3f}, {entry['auc_high']:.3f}]")
    return lines
