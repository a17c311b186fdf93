"""`mql bench-learn`: the scoring-quality benchmark on the real exports. Each data set is imported, loaded and built
with the starter rubric (`mql example`), then `mql learn` runs on it with the benchmark's split; the model cards'
AUCs go into a table in BENCHMARKS.md (between the markers below, replaced on each run)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.examples import run_example
from scripts.learn.run import LearnOptions, learn, write_result

START = "<!-- bench-learn:start -->"
END = "<!-- bench-learn:end -->"


@dataclass(frozen=True)
class Case:
    """A data set and how the benchmark splits it."""

    example: str
    title: str
    options: LearnOptions


CASES: tuple[Case, ...] = (
    Case("olist", "Olist marketing funnel, time split (train on earlier leads)",
         LearnOptions(outcome="opportunity", split="time", horizon_days=90.0)),
    Case("uci_bank", "UCI bank marketing without `duration`, 70/30 stratified, seed 0",
         LearnOptions(outcome="opportunity", split="stratified", holdout_share=0.3, seed=0)),
)


def _auc(entry: dict[str, object]) -> str:
    return f"{entry['auc']:.3f} [{entry['auc_low']:.3f}, {entry['auc_high']:.3f}]"


def table_rows(title: str, card: dict[str, Any], seconds: float) -> list[str]:
    """Markdown rows of one data set."""
    models = {str(m["name"]): m for m in card["models"]}  # type: ignore[union-attr]
    data = card["data"]
    assert isinstance(data, dict)
    gap = float(card["learned_minus_best_baseline_auc"])  # type: ignore[arg-type]
    return [(f"| {title} | {data['train_leads']} / {data['holdout_leads']} | "
            f"{_auc(models['current rubric (dbt)'])} | {_auc(models['learned rubric (dbt)'])} | "
            f"{_auc(models['logistic regression'])} | {_auc(models['gradient boosting'])} | {gap:+.3f} | "
            f"{models['learned rubric (dbt)'].get('calibration_error', float('nan')):.4f} | {seconds:.0f} s |")]


def write_table(benchmarks: Path, rows: list[str]) -> None:
    """Replace the table between the markers (appended with a heading when the markers are missing)."""
    header = [("| data set | leads train / holdout | starter rubric (dbt) | learned rubric (dbt) | logistic regression |"
              " gradient boosting | learned - best baseline | calibration error | learn time |"),
              "|---|---|---|---|---|---|---|---|---|"]
    block = "\n".join([START, *header, *rows, END])
    text = benchmarks.read_text(encoding="utf-8") if benchmarks.exists() else ""
    if START in text and END in text:
        before, rest = text.split(START, 1)
        text = before + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n## Learned rubric: scoring quality (`mql bench-learn`)\n\n" + block + "\n"
    benchmarks.write_text(text, encoding="utf-8")


def run_benchmark(out: Path, benchmarks: Path, *, bootstrap: int = 200,
                  progress: Callable[[str], None] = lambda _: None) -> list[str]:
    """Run every case, write each model card under `out/<example>/learned/`, and the table into `benchmarks`."""
    rows: list[str] = []
    for case in CASES:
        progress(f"{case.example}: import, load and build (starter rubric)")
        folder = out / case.example
        run_example(case.example, folder)
        started = time.perf_counter()
        options = LearnOptions(**{**case.options.__dict__, "bootstrap": bootstrap})
        result = learn(folder / "warehouse.duckdb", options, progress=_prefixed(progress, case.example))
        seconds = time.perf_counter() - started
        write_result(result, folder / "learned")
        (folder / "learned" / "benchmark.json").write_text(json.dumps({"seconds": seconds}) + "\n", encoding="utf-8")
        rows += table_rows(case.title, result.card, seconds)
    write_table(benchmarks, rows)
    return rows


def _prefixed(progress: Callable[[str], None], name: str) -> Callable[[str], None]:
    def report(message: str) -> None:
        progress(f"{name}: {message}")

    return report
