"""`mql diff-rules`: the impact of a rule change on the same data, for a pull-request review.

Both rule versions (e.g. the committed seeds and vars at HEAD, and the working tree) are built with dbt into
throwaway copies of the warehouse's raw data; the MQL sets are compared: leads added and removed, leads whose
first MQL moved, MQL volume per month, and the MQL->SQL and MQL->opportunity conversion of each set.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from scripts.calibrate.frame import LeadFrame, load_leads
from scripts.calibrate.periods import DAY, to_datetime
from scripts.calibrate.workspace import RuleVersion, Workspace

DEFAULT_HORIZON_DAYS = 90.0


@dataclass(frozen=True)
class RuleChange:
    """One difference between two rule versions: a seed row, a seed file or a var."""

    where: str
    key: str
    before: str
    after: str

    def describe(self) -> str:
        """The change in words."""
        if not self.before:
            return f"{self.where}: added {self.key}: {self.after}"
        if not self.after:
            return f"{self.where}: removed {self.key}: {self.before}"
        return f"{self.where}: {self.key}: {self.before} -> {self.after}"


def _rows_by_id(text: str) -> tuple[list[str], dict[str, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    fields = list(reader.fieldnames or [])
    key = fields[0] if fields else ""
    return fields, {row[key]: row for row in reader if key in row}


def rule_changes(base: RuleVersion, head: RuleVersion) -> list[RuleChange]:
    """Row-level differences of the rule seeds (keyed by their first column) and of the scoring vars."""
    changes: list[RuleChange] = []
    for path in sorted(set(base.seed_files) | set(head.seed_files)):
        name = Path(path).name
        before, after = base.seed_files.get(path), head.seed_files.get(path)
        if before == after:
            continue
        if before is None or after is None:
            changes.append(RuleChange(name, "file", "present" if before else "", "present" if after else ""))
            continue
        _, old = _rows_by_id(before)
        _, new = _rows_by_id(after)
        for key in sorted(set(old) | set(new)):
            o, n = old.get(key), new.get(key)
            if o == n:
                continue
            if o is None or n is None:
                row = n if o is None else o
                text = ", ".join(f"{k}={v}" for k, v in (row or {}).items() if v)
                changes.append(RuleChange(name, key, "" if o is None else text, "" if n is None else text))
                continue
            for column in n:
                if o.get(column) != n.get(column):
                    changes.append(RuleChange(name, f"{key}.{column}", o.get(column) or "(empty)",
                                              n.get(column) or "(empty)"))
    for var in sorted(set(base.dbt_vars) | set(head.dbt_vars)):
        old_value, new_value = base.dbt_vars.get(var), head.dbt_vars.get(var)
        if old_value != new_value:
            changes.append(RuleChange("vars", var, str(old_value), str(new_value)))
    return changes


@dataclass
class RuleDiff:
    """The comparison of the MQL sets of two rule versions on the same data."""

    base_label: str
    head_label: str
    changes: list[RuleChange]
    leads: pd.DataFrame  # one row per lead that is an MQL under either version (or whose first MQL moved)
    summary: pd.DataFrame  # one row per version: MQL leads, volume per month, conversions
    monthly: pd.DataFrame  # month x version: new MQL leads
    notes: list[str] = field(default_factory=list)

    @property
    def added(self) -> list[str]:
        """Leads that are MQLs only under the head version."""
        return self.leads.loc[self.leads["change"] == "added", "contact_id"].tolist()

    @property
    def removed(self) -> list[str]:
        """Leads that are MQLs only under the base version."""
        return self.leads.loc[self.leads["change"] == "removed", "contact_id"].tolist()


def read_first_mqls(database: Path) -> pd.DataFrame:
    """Per lead that ever qualified: its first MQL time, how it qualified and its current scores."""
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute("""
            with first_mql as (
                select contact_id, qualified_at, qualification_type, trigger_rule_id,
                       row_number() over (partition by contact_id order by qualified_at, mql_sequence) as rank
                from marts.fct_mql_events
            )
            select first_mql.contact_id, first_mql.qualified_at as first_mql_at, first_mql.qualification_type,
                   first_mql.trigger_rule_id, leads.fit_grade, leads.engagement_score, leads.total_score
            from first_mql inner join marts.dim_leads as leads using (contact_id)
            where first_mql.rank = 1
        """).fetchdf()


def _conversion(first: pd.DataFrame, frame: LeadFrame, horizon_seconds: float) -> dict[str, float]:
    index = frame.index()
    positions = np.array([index[c] for c in first["contact_id"] if c in index], dtype=int)
    at = np.array([pd.Timestamp(t).timestamp() for t, c in zip(first["first_mql_at"], first["contact_id"],
                                                                  strict=True) if c in index])
    out: dict[str, float] = {}
    for outcome in ("sql", "opportunity"):
        target = frame.outcome_at(outcome)[positions] if len(positions) else np.array([])  # type: ignore[arg-type]
        converted = (target >= at) & (target <= at + horizon_seconds) if len(positions) else np.array([])
        out[outcome] = float(converted.mean()) if len(converted) else float("nan")
    return out


def compare(base_db: Path, head_db: Path, base: RuleVersion, head: RuleVersion,
            horizon_days: float = DEFAULT_HORIZON_DAYS) -> RuleDiff:
    """Compare the MQL sets of two built versions."""
    old, new = read_first_mqls(base_db), read_first_mqls(head_db)
    with duckdb.connect(str(head_db), read_only=True) as connection:
        frame = load_leads(connection)
    merged = old.merge(new, on="contact_id", how="outer", suffixes=("_base", "_head"))
    merged["change"] = np.select(
        [merged["first_mql_at_base"].isna(), merged["first_mql_at_head"].isna(),
         merged["first_mql_at_base"] < merged["first_mql_at_head"],
         merged["first_mql_at_base"] > merged["first_mql_at_head"]],
        ["added", "removed", "later", "earlier"], default="unchanged")
    h = horizon_days * DAY
    months = max((frame.activity_end - np.nanmin(np.where(np.isfinite(frame.created_at), frame.created_at, np.nan)))
                 / DAY / 30.4375, 1e-9) if frame.n else 1.0
    rows = []
    for label, first in ((base.label, old), (head.label, new)):
        conversion = _conversion(first, frame, h)
        rows.append({"version": label, "mql_leads": len(first), "mqls_per_month": len(first) / months,
                     "fast_track": int((first["qualification_type"] == "fast_track").sum()),
                     "mql_to_sql": conversion["sql"], "mql_to_opportunity": conversion["opportunity"]})
    monthly = pd.DataFrame({
        base.label: pd.to_datetime(old["first_mql_at"]).dt.to_period("M").value_counts(),
        head.label: pd.to_datetime(new["first_mql_at"]).dt.to_period("M").value_counts(),
    }).fillna(0).astype(int).sort_index()
    monthly.index = monthly.index.astype(str)
    monthly.index.name = "month"
    changed = merged[merged["change"] != "unchanged"].copy()
    changed = changed.sort_values(["change", "total_score_head", "total_score_base"], ascending=[True, False, False])
    notes = []
    if frame.n and np.isfinite(frame.activity_end):
        notes.append(f"same data for both versions: {frame.n} leads, events until {to_datetime(frame.activity_end):%Y-%m-%d}")
    return RuleDiff(base.label, head.label, rule_changes(base, head), changed.reset_index(drop=True),
                    pd.DataFrame(rows), monthly.reset_index(), notes)


def diff_versions(database: Path, base: RuleVersion, head: RuleVersion, *, raw_schema: str = "raw",
                  horizon_days: float = DEFAULT_HORIZON_DAYS, workspace_root: Path | None = None) -> RuleDiff:
    """Build both versions on the raw data of `database` and compare their MQL sets."""
    with Workspace(database, raw_schema, root=workspace_root) as workspace:
        base_db = workspace.build(base, database_name="base.duckdb")
        head_db = workspace.build(head, database_name="head.duckdb")
        return compare(base_db, head_db, base, head, horizon_days)
