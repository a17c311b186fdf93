"""Child-process entry points of the benchmark (each step runs alone so its peak memory is its own)."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import duckdb

from scripts.bench.lower_bound import lower_bound_sql
from scripts.bench.rules import read_rules
from scripts.paths import PROJECT_ROOT

TOLERANCE = 1e-6
MODES = ("combined", "fit_and_engagement")


def qualification_settings(config: dict[str, object]) -> dict[str, object]:
    """The qualification setting of the dbt vars `config` (see `lower_bound_sql`): grades become fit-point floors
    through fit_grade_bands (grade D: no floor)."""
    bands = {str(k).strip().upper(): float(v) for k, v in config["fit_grade_bands"].items()}

    def floor(name: str) -> float | None:
        grade = str(config[name]).strip().upper()
        if grade not in ("A", "B", "C", "D"):
            raise SystemExit(f"var {name}: must be one of A, B, C, D, got {config[name]!r}")
        return bands.get(grade)

    mode = config["qualification_mode"]
    if mode not in MODES:
        raise SystemExit(f"var qualification_mode: must be one of {', '.join(MODES)}, got {mode!r}")
    return {"mode": mode, "min_fit": floor("mql_min_fit_grade"),
            "engagement_threshold": float(config["mql_engagement_threshold"]),
            "combined_threshold": float(config["mql_combined_threshold"]),
            "fast_track_enabled": config.get("fast_track_enabled", True) is True,
            "fast_track_min_fit": floor("fast_track_min_fit_grade")}


def _settings() -> dict[str, object]:
    import yaml

    config = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    return qualification_settings(config)


DBT_SCORES = """
select source_id as event_id, engagement_score from intermediate.int_contact_score_history where instant_kind = 'event'
"""
# Candidates at event instants only, on both sides: the lower bound sees events alone (a lead's creation and its fit
# changes are instants of the score history too, and this comparison leaves their candidates out).
DBT_FIRST = """
select contact_id, min(scored_at) from intermediate.int_contact_score_history
where instant_kind = 'event' and ((meets_threshold and not met_threshold_before) or is_fast_track_hit)
group by contact_id
"""


def lower_bound(database: Path) -> None:
    """Time the single query (materialised into a temp table), then compare it with what dbt built."""
    import time

    with duckdb.connect(str(database)) as connection:
        started = time.perf_counter()
        connection.execute("create or replace temp table lower_bound as " + lower_bound_sql(read_rules(), _settings()))
        seconds = time.perf_counter() - started
        mismatched = connection.execute(
            f"select count(*) from lower_bound full join ({DBT_SCORES}) as dbt using (event_id) "
            f"where dbt.engagement_score is null or lower_bound.engagement_score is null "
            f"or abs(dbt.engagement_score - lower_bound.engagement_score) > {TOLERANCE}").fetchone()[0]
        first_lower = connection.execute(
            "select contact_id, min(occurred_at) from lower_bound where is_candidate group by 1").fetchall()
        first_dbt = connection.execute(DBT_FIRST).fetchall()
        events = connection.execute("select count(*) from lower_bound").fetchone()[0]
    print(json.dumps({"lower_bound_query_seconds": round(seconds, 2), "scored_events": events,
                      "scores_equal": mismatched == 0, "score_mismatches": mismatched,
                      "first_mql_equal": sorted(first_lower) == sorted(first_dbt),
                      "first_mql_contacts": len(first_dbt)}))


def pandas_step(data_dir: Path, new_dir: Path, database: Path) -> None:
    import pandas as pd

    from scripts.bench.pandas_impl import engagement_scores

    merged = data_dir.parent / "pandas-input"
    merged.mkdir(exist_ok=True)
    for source in [*data_dir.glob("events*.parquet"), *new_dir.glob("events*.parquet")]:
        target = merged / source.name
        if not target.exists():
            target.symlink_to(source.resolve())
    scores = engagement_scores(merged, read_rules())
    with duckdb.connect(str(database), read_only=True) as connection:
        dbt = connection.execute(DBT_SCORES).df().set_index("event_id")["engagement_score"]
    joined = pd.concat([scores.rename("pandas"), dbt.rename("dbt")], axis=1)
    mismatches = int(((joined["pandas"] - joined["dbt"]).abs() > TOLERANCE).sum() + joined.isna().any(axis=1).sum())
    print(json.dumps({"pandas_scores_equal": mismatches == 0, "pandas_mismatches": mismatches}))


def main(argv: list[str]) -> None:
    command, *args = argv
    if command == "generate":
        from scripts.generate import MessyConfig, generate_dataset

        out, contacts, per_contact, seed = Path(args[0]), int(args[1]), float(args[2]), int(args[3])
        generate_dataset(out, contacts=contacts, seed=seed, events_per_contact=per_contact,
                         messy=MessyConfig.none(), progress=False, end_date=date(2026, 6, 30))
    elif command == "new-events":
        from scripts.bench.harness import new_events_file

        print(new_events_file(Path(args[0]), Path(args[1]), float(args[2]), int(args[3])))
    elif command == "lower-bound":
        lower_bound(Path(args[0]))
    elif command == "pandas":
        pandas_step(Path(args[0]), Path(args[1]), Path(args[2]))
    else:
        raise SystemExit(f"unknown bench step {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
