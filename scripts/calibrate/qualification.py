"""Who would be an MQL, and when, under candidate settings: read from the warehouse's one MQL definition.

The dbt macro `mql_crossing_candidates` decides at which instant of a lead's score history it becomes an MQL under a
setting (crossings, qualification at the first instant, fast-track hits, requalification after a recycle, never
while disqualified); `int_mql_crossings` applies it to the configured setting. The analysis
`analyses/qualification_sweep.sql` applies it to a list of settings (var `mql_settings`) over
`marts.fct_lead_score_history`. This module compiles that analysis with dbt and runs it on a built DuckDB warehouse,
so calibration, its backtest and the report count exactly the MQLs a build with each setting makes; Python never
decides who qualifies.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from scripts.calibrate.workspace import SCORING_VARS, _environment
from scripts.dbt_runner import run_dbt
from scripts.paths import PROJECT_ROOT

ANALYSIS = "qualification_sweep"
SETTING_KEYS: tuple[str, ...] = ("qualification_mode", "mql_min_fit_grade", "mql_engagement_threshold",
                                 "mql_combined_threshold", "fast_track_enabled", "fast_track_min_fit_grade")
"""What a candidate setting may override (the rest, e.g. fit bands, is the build's)."""


class QualificationError(RuntimeError):
    """The qualification analysis did not compile (a bad setting or var)."""


def _catalog(connection: duckdb.DuckDBPyConnection) -> str:
    row = connection.execute("select current_database()").fetchone()
    return str(row[0]) if row else "memory"


@lru_cache(maxsize=32)
def _compile(project_dir: str, catalog: str, vars_json: str) -> str:
    dbt_vars = json.loads(vars_json)
    with tempfile.TemporaryDirectory(prefix="mql-qualification-") as scratch:
        root = Path(scratch)
        # dbt names relations after the DuckDB file (the catalog): a scratch file of the same name gives the
        # warehouse's relation names without opening the warehouse (which may be locked, or open read-only).
        environment = {"MQL_TARGET": "dev", "MQL_DUCKDB_PATH": str(root / f"{catalog}.duckdb"),
                       "DBT_TARGET_PATH": str(root / "target"), "DBT_LOG_PATH": str(root / "logs")}
        with _environment(environment):
            result = run_dbt(["compile", "--select", ANALYSIS, "--log-level", "none"], dbt_vars=dbt_vars, quiet=True,
                             project_dir=Path(project_dir))
    for node_result in getattr(result.result, "results", None) or []:
        node = getattr(node_result, "node", None)
        if node is not None and getattr(node, "name", None) == ANALYSIS:
            return str(node.compiled_code)
    raise QualificationError(f"dbt compiled no analysis named '{ANALYSIS}'")


def sweep_sql(settings: Sequence[Mapping[str, object]], build_vars: Mapping[str, object] | None = None, *,
              catalog: str, project_dir: Path = PROJECT_ROOT) -> str:
    """The compiled qualification sweep for `settings` (each a mapping of SETTING_KEYS plus `setting_id`), with the
    scoring vars of the build (`build_vars`; the project's when None) for everything a setting does not set, for a
    DuckDB warehouse whose catalog is `catalog`."""
    for setting in settings:
        unknown = set(setting) - set(SETTING_KEYS) - {"setting_id"}
        if unknown:
            raise QualificationError(f"unknown setting keys {sorted(unknown)} (allowed: {', '.join(SETTING_KEYS)})")
    dbt_vars: dict[str, object] = {name: value for name, value in (build_vars or {}).items() if name in SCORING_VARS}
    dbt_vars["mql_settings"] = [dict(setting) for setting in settings]
    return _compile(str(project_dir), catalog, json.dumps(dbt_vars, sort_keys=True, default=str))


def first_mqls(connection: duckdb.DuckDBPyConnection, settings: Sequence[Mapping[str, object]],
               build_vars: Mapping[str, object] | None = None, *, project_dir: Path = PROJECT_ROOT) -> pd.DataFrame:
    """One row per setting and lead that ever qualifies under it: `setting_id`, `contact_id`, `first_mql_at`
    (epoch seconds) and `mql_count`, from the warehouse open on `connection` (its `marts.fct_lead_score_history`)."""
    columns = ["setting_id", "contact_id", "first_mql_at", "mql_count"]
    if not settings:
        return pd.DataFrame(columns=columns)
    sql = sweep_sql(settings, build_vars, catalog=_catalog(connection), project_dir=project_dir)
    return connection.execute(f"""
        select setting_id, contact_id, epoch(first_mql_at) as first_mql_at, mql_count
        from ({sql}) as sweep
    """).fetchdf()[columns]
