"""The benchmark keeps working: at a tiny size, the lower-bound query and the pandas implementation agree with the
build on every event's score and every lead's first MQL instant (correctness only; times are not asserted)."""

from __future__ import annotations

import json
from pathlib import Path

from scripts.bench.harness import markdown_row, run_benchmark, update_benchmarks_md


def test_tiny_benchmark_agrees_with_the_build(tmp_path: Path) -> None:
    result = run_benchmark(contacts=150, events_per_contact=15.0, out=tmp_path / "bench", with_pandas=True)
    assert result.checks["scores_equal"] is True, result.checks
    assert result.checks["first_mql_equal"] is True, result.checks
    assert result.checks["pandas_scores_equal"] is True, result.checks
    assert result.checks["scored_events"] > 500
    assert result.checks["first_mql_contacts"] > 0
    assert set(result.steps) == {"generate", "full_refresh", "new_events", "incremental_refresh", "dbt_run", "lower_bound",
                                 "pandas"}
    assert all(step.seconds > 0 and step.peak_rss_mib > 10 for step in result.steps.values())
    assert "int_contact_score_history" in result.model_seconds
    assert set(result.refresh_phase_seconds) == {"load", "build", "freshness", "publish"}, result.refresh_phase_seconds
    written = json.loads((tmp_path / "bench" / "bench.json").read_text(encoding="utf-8"))
    assert written["contacts"] == 150
    markdown = tmp_path / "BENCHMARKS.md"
    update_benchmarks_md(result, markdown)
    update_benchmarks_md(result, markdown)  # the row for a size is replaced, not repeated
    assert markdown.read_text(encoding="utf-8").count(markdown_row(result)) == 1
