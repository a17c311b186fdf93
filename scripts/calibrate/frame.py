"""Read what calibration needs from a built warehouse: leads with their outcome times, and for a grid of MQL
settings the instant each lead would first have qualified.

Qualification times come from the warehouse's own MQL definition (the dbt macro `mql_crossing_candidates`, run by
`analyses/qualification_sweep.sql` for every candidate setting, see `scripts/calibrate/qualification.py`) over
`marts.fct_lead_score_history`, whose rows are the lead's scores at every instant they can change, each computed
only from data up to that instant (point in time; tested against builds on truncated data). Between rows a score
only falls, so crossings happen at rows and their times are exact. Python neither recomputes a score nor decides
who qualifies: a lead's first MQL under a setting is what a build with that setting gives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Mode = Literal["fit_and_engagement", "combined"]
Outcome = Literal["sql", "opportunity", "won"]
OUTCOMES: tuple[Outcome, ...] = ("sql", "opportunity", "won")
GRADES: tuple[str, ...] = ("A", "B", "C", "D")
NEVER = np.inf
"""Time (epoch seconds) of something that did not happen."""

SQL_STAGES = ("sales_accepted", "sales_qualified")


@dataclass(frozen=True)
class Setting:
    """One MQL setting: the qualification mode, the minimum fit grade (fit_and_engagement) and the threshold on
    engagement points (fit_and_engagement) or fit + engagement points (combined)."""

    mode: Mode
    min_fit_grade: str | None
    threshold: float

    def label(self) -> str:
        """A readable description of the setting."""
        if self.mode == "combined":
            return f"fit+engagement >= {self.threshold:g}"
        return f"fit grade >= {self.min_fit_grade}, engagement >= {self.threshold:g}"

    def dbt_vars(self) -> dict[str, object]:
        """The dbt vars that select this setting."""
        threshold: object = int(self.threshold) if float(self.threshold).is_integer() else self.threshold
        if self.mode == "combined":
            return {"qualification_mode": "combined", "mql_combined_threshold": threshold}
        return {"qualification_mode": "fit_and_engagement", "mql_min_fit_grade": self.min_fit_grade,
                "mql_engagement_threshold": threshold}


@dataclass
class LeadFrame:
    """Leads (one row each) with creation time, channel and outcome times as epoch seconds (NEVER if none).

    `handoff_at` is when sales first took the lead (its first SQL stage or opportunity): a crossing after it is
    not a marketing qualification. `sql_at` is the first sales-accepted/-qualified stage or opportunity,
    `opportunity_at` the first opportunity, `won_at` the first won opportunity's close.
    """

    contact_id: npt.NDArray[np.object_]
    created_at: FloatArray
    channel: npt.NDArray[np.object_]
    sql_at: FloatArray
    opportunity_at: FloatArray
    won_at: FloatArray
    activity_end: float
    data_end: float

    @property
    def n(self) -> int:
        """Number of leads."""
        return len(self.contact_id)

    @property
    def handoff_at(self) -> FloatArray:
        """When sales first took each lead (first SQL stage or opportunity)."""
        return np.minimum(self.sql_at, self.opportunity_at)

    def outcome_at(self, outcome: Outcome) -> FloatArray:
        """Time of each lead's first `outcome`."""
        return {"sql": self.sql_at, "opportunity": self.opportunity_at, "won": self.won_at}[outcome]

    def index(self) -> dict[str, int]:
        """contact_id -> row position."""
        return {str(contact_id): position for position, contact_id in enumerate(self.contact_id)}


def _times(values: Sequence[object]) -> FloatArray:
    return np.array([NEVER if value is None else float(value) for value in values], dtype=np.float64)  # type: ignore[arg-type]


def connect(database: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a built warehouse."""
    return duckdb.connect(str(database), read_only=True)


def load_leads(connection: duckdb.DuckDBPyConnection) -> LeadFrame:
    """Every lead of `marts.dim_leads` with its outcome times from the CRM staging models."""
    stages = ", ".join(f"'{stage}'" for stage in SQL_STAGES)
    rows = connection.execute(f"""
        with stage_sql as (
            select contact_id, min(changed_at) as sql_at
            from staging.stg_crm__lead_stage_history where lead_stage in ({stages}) group by contact_id
        ),
        opportunities as (
            select primary_contact_id as contact_id, min(created_at) as opportunity_at,
                   min(case when is_won then coalesce(closed_at, created_at) end) as won_at
            from staging.stg_crm__opportunities where primary_contact_id is not null group by primary_contact_id
        )
        select leads.contact_id, epoch(leads.created_at), coalesce(leads.lead_source_channel, 'unknown'),
               epoch(least(stage_sql.sql_at, opportunities.opportunity_at)),
               epoch(opportunities.opportunity_at), epoch(opportunities.won_at)
        from marts.dim_leads as leads
        left join stage_sql using (contact_id)
        left join opportunities using (contact_id)
        order by leads.contact_id
    """).fetchall()
    ends = connection.execute("""
        select epoch(max(scored_at)) from marts.fct_lead_score_history
    """).fetchone()
    outcome_end = connection.execute(f"""
        select epoch(greatest(
            (select max(changed_at) from staging.stg_crm__lead_stage_history where lead_stage in ({stages})),
            (select max(greatest(created_at, coalesce(closed_at, created_at))) from staging.stg_crm__opportunities)
        ))
    """).fetchone()
    activity_end = float(ends[0]) if ends and ends[0] is not None else 0.0
    last_outcome = float(outcome_end[0]) if outcome_end and outcome_end[0] is not None else activity_end
    return LeadFrame(
        contact_id=np.array([row[0] for row in rows], dtype=object),
        created_at=_times([row[1] for row in rows]),
        channel=np.array([row[2] for row in rows], dtype=object),
        sql_at=_times([row[3] for row in rows]),
        opportunity_at=_times([row[4] for row in rows]),
        won_at=_times([row[5] for row in rows]),
        activity_end=activity_end,
        data_end=max(activity_end, last_outcome),
    )


def score_range(connection: duckdb.DuckDBPyConnection, mode: Mode) -> tuple[float, float]:
    """The 99th percentile and maximum of the score a mode thresholds (engagement or fit + engagement)."""
    column = "engagement_score" if mode == "fit_and_engagement" else "total_score"
    row = connection.execute(
        f"select quantile_cont({column}, 0.99), max({column}) from marts.fct_lead_score_history"
    ).fetchone()
    if not row or row[0] is None:
        return 0.0, 0.0
    return float(row[0]), float(row[1])


def settings_grid(mode: Mode, thresholds: Sequence[float], grades: Sequence[str] | None = None) -> list[Setting]:
    """Every (grade, threshold) setting of `mode`: all four minimum grades for fit_and_engagement."""
    if mode == "combined":
        return [Setting("combined", None, float(t)) for t in thresholds]
    return [Setting(mode, grade, float(t)) for grade in (grades or GRADES) for t in thresholds]


def qualification_times(connection: duckdb.DuckDBPyConnection, leads: LeadFrame, settings: Sequence[Setting],
                        build_vars: Mapping[str, object] | None = None) -> FloatArray:
    """Matrix (lead x setting) of the instant each lead first becomes an MQL under each setting (NEVER if it never
    does), read from the warehouse's MQL definition (`qualification.first_mqls`): the first crossing (including a
    lead that meets the setting at its first instant) or fast-track hit while sales has not disqualified it.
    Everything a setting does not set (fit bands, fast-track) is `build_vars`' (the project's vars when None): pass
    the vars the warehouse was built with."""
    from scripts.calibrate.qualification import first_mqls

    index = leads.index()
    matrix = np.full((leads.n, len(settings)), NEVER)
    if not settings:
        return matrix
    overrides = [{"setting_id": str(k), **setting.dbt_vars()} for k, setting in enumerate(settings)]
    rows = first_mqls(connection, overrides, build_vars)
    for setting_id, contact_id, at in zip(rows["setting_id"], rows["contact_id"], rows["first_mql_at"],
                                          strict=True):
        position = index.get(str(contact_id))
        if position is not None:
            matrix[position, int(setting_id)] = float(at)
    return matrix


def peak_scores(connection: duckdb.DuckDBPyConnection, leads: LeadFrame, start: float, end: float,
                column: str = "total_score") -> FloatArray:
    """Per lead, the highest `column` score at an instant in [start, end) before sales took the lead
    (-inf when the lead has no such instant): the ranking score the backtest's AUC uses."""
    if column not in ("total_score", "engagement_score", "fit_score"):
        raise ValueError(f"unknown score column {column!r}")
    handoff = {str(c): h for c, h in zip(leads.contact_id, leads.handoff_at, strict=True)}
    rows = connection.execute(f"""
        select contact_id, epoch(scored_at), {column} from marts.fct_lead_score_history
        where instant_kind <> 'sales_decision'
          and epoch(scored_at) >= ? and epoch(scored_at) < ?
    """, [start, end]).fetchall()
    index = leads.index()
    peaks = np.full(leads.n, -np.inf)
    for contact_id, at, score in rows:
        position = index.get(contact_id)
        if position is None or float(at) > handoff[str(contact_id)]:
            continue
        peaks[position] = max(peaks[position], float(score))
    return peaks
