"""CLI commands `mql learn` and `mql bench-learn` (registered on the main app by `register`)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from scripts.terminal import make_console

console = make_console()


def _fail(message: str, code: int = 1) -> None:
    console.print(f"[red]{message}[/red]", highlight=False)
    raise typer.Exit(code)


def _percent(value: object) -> str:
    return "-" if not isinstance(value, (int, float)) or math.isnan(value) else f"{value:.1%}"


def print_card(card: dict[str, Any]) -> None:
    """The model card as tables: the models side by side, then the top terms."""
    data = card["data"]
    assert isinstance(data, dict)
    console.print(f"Outcome: {card['outcome']} within {card['horizon_days']:g} days. Split: {data['split']} "
                  f"({data['train_leads']} training leads, {data['train_positives']} positive rows; "
                  f"{data['holdout_leads']} holdout leads, {data['holdout_positives']} positive rows).",
                  highlight=False)
    table = Table(title="Holdout: the rubrics as the dbt build scores them, and two baselines on the same features")
    for column in ("model", "AUC [90% interval]", "at threshold: share / precision / recall", "top 5%",
                   "top 10%", "top 20%", "Brier", "calibration error"):
        table.add_column(column)
    for entry in card["models"]:  # type: ignore[union-attr]
        at = entry.get("at_threshold")
        threshold = (f"{at['setting']}: {_percent(at['share'])} / {_percent(at['precision'])} / "
                     f"{_percent(at['recall'])}") if at else "-"
        volumes = [f"P {_percent(v['precision'])}, R {_percent(v['recall'])}" for v in entry["at_volumes"].values()]
        brier = entry.get("brier")
        error = entry.get("calibration_error")
        table.add_row(entry["name"], f"{entry['auc']:.3f} [{entry['auc_low']:.3f}, {entry['auc_high']:.3f}]",
                      threshold, *volumes, "-" if brier is None else f"{brier:.4f}",
                      "-" if error is None else f"{error:.4f}")
    console.print(table)
    terms = Table(title="Top terms of the learned rubric (mean absolute points per lead)")
    terms.add_column("importance", justify="right")
    terms.add_column("rules")
    for term in card["terms"][:10]:  # type: ignore[index]
        terms.add_row(f"{term['importance']:.1f}", str(term["rules"])[:160])
    console.print(terms)
    matches = card["dbt_matches_rubric"]
    assert isinstance(matches, dict)
    console.print(f"dbt's total_score equals the rubric's points on {matches['rows']} holdout rows "
                  f"(largest difference {matches['max_abs_difference']:.2g}).", highlight=False)


def learn(
    outcome: Annotated[str, typer.Option(help="Outcome to predict: sql, opportunity or won.")] = "opportunity",
    horizon_days: Annotated[float, typer.Option(min=1, help="Days after a snapshot the outcome may take.")] = 90.0,
    split: Annotated[str, typer.Option(help="auto, time (dated history) or stratified (snapshot exports).")] = "auto",
    holdout: Annotated[float, typer.Option(min=0.05, max=0.5, help="Share of leads held out.")] = 0.3,
    seed: Annotated[int, typer.Option(help="Random seed (split, model, bootstrap).")] = 0,
    snapshots: Annotated[int, typer.Option(min=1, help="Training snapshots (one dbt build each).")] = 4,
    min_positives: Annotated[int, typer.Option(min=1, help="Fewest positive training leads to learn from.")] = 50,
    exclude: Annotated[list[str] | None, typer.Option(help="Attribute to leave out (repeatable).")] = None,
    bootstrap: Annotated[int, typer.Option(min=0, help="Bootstrap replicates for the AUC intervals.")] = 200,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("warehouse/learned"),
) -> None:
    """Learn an explainable points rubric from history, write it as seeds and print its model card."""
    from scripts import paths
    from scripts.calibrate.workspace import WorkspaceError
    from scripts.dbt_runner import DbtError
    from scripts.learn.run import LearnOptions, write_result
    from scripts.learn.run import learn as run_learn
    from scripts.learn.table import LearnRefused

    if outcome not in ("sql", "opportunity", "won"):
        _fail(f"--outcome must be sql, opportunity or won, got {outcome!r}")
    if split not in ("auto", "time", "stratified"):
        _fail(f"--split must be auto, time or stratified, got {split!r}")
    database = paths.duckdb_path()
    if not database.exists():
        _fail(f"{database}: no warehouse; run `mql load DIR` and `mql build` first")
    options = LearnOptions(outcome=outcome, horizon_days=horizon_days, split=split,  # type: ignore[arg-type]
                           holdout_share=holdout, seed=seed, snapshots=snapshots, min_positives=min_positives,
                           exclude=tuple(exclude or ()), bootstrap=bootstrap)
    console.rule("mql learn")
    try:
        result = run_learn(database, options, raw_schema=paths.raw_schema(),
                           progress=lambda message: console.print(f"  {message}", highlight=False))
    except LearnRefused as refusal:
        _fail(f"mql learn refused: {refusal}")
        return
    except (DbtError, WorkspaceError) as error:
        _fail(f"mql learn: a build failed: {error}")
        return
    print_card(result.card)
    for path in write_result(result, out):
        console.print(f"wrote {path}", highlight=False)
    console.print(f"Review: `mql diff-rules --learned {out}`. Adopt in a pull request: copy {out}/seeds/scoring/*.csv "
                  f"over seeds/scoring/ and set the vars of {out}/learned_vars.yml in dbt_project.yml.",
                  highlight=False)


def bench_learn(
    out: Annotated[Path, typer.Option(help="Folder for the example warehouses and model cards.")] = Path(
        "warehouse/bench-learn"),
    benchmarks: Annotated[Path, typer.Option(help="Markdown file whose learned-rubric table is replaced.")] = Path(
        "BENCHMARKS.md"),
    bootstrap: Annotated[int, typer.Option(min=0, help="Bootstrap replicates for the AUC intervals.")] = 200,
) -> None:
    """Scoring-quality benchmark on the real exports (Olist: time split; UCI bank: 70/30 stratified, seed 0,
    without duration): AUC of the starter rubric, the learned rubric as built by dbt and two baselines."""
    from scripts.examples import ExampleError
    from scripts.learn.benchmark import run_benchmark

    try:
        rows = run_benchmark(out, benchmarks, bootstrap=bootstrap,
                             progress=lambda message: console.print(f"  {message}", highlight=False))
    except ExampleError as error:
        _fail(str(error))
        return
    for row in rows:
        console.print(row, highlight=False)
    console.print(f"wrote the table into {benchmarks}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add `learn` and `bench-learn` to the `mql` app."""
    app.command("learn")(learn)
    app.command("bench-learn")(bench_learn)
