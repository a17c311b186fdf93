"""Point-in-time snapshots: the warehouse rebuilt `as_of` an instant T (dbt var; tested to equal a build on data
truncated at T), read as one row per lead that existed and was still a marketing lead at T, with its per-rule
points and attributes at T and whether it reached the outcome in the following horizon. These rows train the
rule-lift regression without any event after T leaking in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from scripts.calibrate.frame import LeadFrame, Outcome
from scripts.calibrate.periods import to_datetime
from scripts.calibrate.workspace import RuleVersion, Workspace

ATTRIBUTES: tuple[str, ...] = ("seniority", "job_function", "industry", "company_size_band", "region",
                               "country_code", "email_type", "lead_source_channel")
"""Lead attributes (dim_leads columns) whose values get a lift row; fit rules exist for most of them."""


@dataclass
class Snapshot:
    """Leads at instant `at`: `leads` (one row each: scores, attributes, label) and `points` (lead x rule)."""

    at: float
    leads: pd.DataFrame
    points: pd.DataFrame


def as_of_literal(epoch: float) -> str:
    """The `as_of` var value for an instant."""
    return to_datetime(epoch).strftime("%Y-%m-%d %H:%M:%S")


def read_snapshot(database: Path, at: float, frame: LeadFrame, outcome: Outcome, horizon_seconds: float) -> Snapshot:
    """Read a warehouse built `as_of` `at`: leads created by then and not yet taken by sales, labelled with
    whether they reach `outcome` in (at, at + horizon]."""
    columns = ", ".join(ATTRIBUTES)
    with duckdb.connect(str(database), read_only=True) as connection:
        leads = connection.execute(f"""
            select contact_id, {columns}, fit_score, engagement_score, total_score, meets_threshold, is_mql
            from marts.dim_leads order by contact_id
        """).fetchdf()
        points = connection.execute("""
            select contact_id, rule_id, scored_points from marts.fct_lead_score_components
        """).fetchdf()
    index = frame.index()
    positions = np.array([index.get(str(c), -1) for c in leads["contact_id"]])
    known = positions >= 0
    leads, positions = leads[known].reset_index(drop=True), positions[known]
    handoff = frame.handoff_at[positions]
    target = frame.outcome_at(outcome)[positions]
    open_leads = handoff > at
    leads = leads[open_leads].reset_index(drop=True)
    target = target[open_leads]
    leads["label"] = ((target > at) & (target <= at + horizon_seconds)).astype(int)
    leads["snapshot_at"] = to_datetime(at)
    for attribute in ATTRIBUTES:
        leads[attribute] = leads[attribute].fillna("(none)").astype(str)
    wide = points.pivot_table(index="contact_id", columns="rule_id", values="scored_points", aggfunc="sum",
                              fill_value=0.0)
    wide = wide.reindex(leads["contact_id"]).fillna(0.0).reset_index(drop=True)
    wide.columns = [str(c) for c in wide.columns]
    return Snapshot(at, leads, wide)


def take_snapshots(workspace: Workspace, version: RuleVersion, instants: Sequence[float], frame: LeadFrame,
                   outcome: Outcome, horizon_seconds: float) -> list[Snapshot]:
    """Build `version` as of each instant (one dbt run each) and read the snapshot."""
    snapshots: list[Snapshot] = []
    for at in instants:
        database = workspace.build(version, as_of=as_of_literal(at), database_name="snapshots.duckdb")
        snapshots.append(read_snapshot(database, at, frame, outcome, horizon_seconds))
    return snapshots


def stack(snapshots: Sequence[Snapshot], rule_ids: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """All snapshots as one table of lead rows and one of rule points (columns `rule_ids`, zero-filled)."""
    leads = pd.concat([s.leads for s in snapshots], ignore_index=True)
    points = pd.concat([s.points.reindex(columns=list(rule_ids), fill_value=0.0) for s in snapshots],
                       ignore_index=True).fillna(0.0)
    return leads, points


def snapshot_instants(start: float, end: float, count: int) -> list[float]:
    """`count` instants spread over (start, end], the last at `end` (midnight-aligned)."""
    count = max(count, 1)
    day = 86_400.0
    return [float(np.floor((start + (end - start) * k / count) / day) * day) for k in range(1, count + 1)]
