"""One query per funnel chart: funnel by stage, MQLs per month by channel, cost per MQL, speed-to-lead.

Each reads the funnel/lifecycle mart built for it (marts only, so the report reads the serving file a refresh
publishes); a mart that is missing, or lacks a column, is a "not built yet" card naming it. The mart read is
returned with the rows and printed under the chart.
"""

from __future__ import annotations

from collections.abc import Sequence

from scripts.report.config import ReportConfig, format_minutes
from scripts.report.warehouse import MARTS, Table, Warehouse

FUNNEL_STAGES: tuple[str, ...] = ("Lead", "MQL", "SQL", "Opportunity", "Customer")


def _funnel_rows(table: Table) -> Table:
    """One row (leads, mqls, sqls, opportunities, customers) -> one row per stage with its lead count."""
    values = table.rows[0] if table.rows else (0,) * len(FUNNEL_STAGES)
    rows = [(stage, int(value or 0)) for stage, value in zip(FUNNEL_STAGES, values, strict=True)]
    return Table(("stage", "leads"), rows, table.source)


def funnel_by_stage(warehouse: Warehouse) -> Table:
    """Leads per funnel stage (Lead, MQL, SQL, Opportunity, Customer), summed over the lead cohorts of
    `fct_funnel_lead_cohorts`."""
    warehouse.require(MARTS, "fct_funnel_lead_cohorts", ("leads", "mqls", "sqls", "opportunities", "customers"))
    inferred = warehouse.query(
        f"select coalesce(sum(leads_with_inferred_mql), 0) from {MARTS}.fct_funnel_lead_cohorts",
        source="") if warehouse.has(MARTS, "fct_funnel_lead_cohorts", ("leads_with_inferred_mql",)) else None
    note = (f"; MQL = leads that reached MQL or later, scored or CRM-inferred ({int(inferred.rows[0][0]):,} with a "
            "CRM-inferred MQL)") if inferred is not None and inferred.rows else ""
    table = warehouse.query(
        f"""
        select sum(leads), sum(mqls), sum(sqls), sum(opportunities), sum(customers)
        from {MARTS}.fct_funnel_lead_cohorts
        """,
        source=f"{MARTS}.fct_funnel_lead_cohorts (inferred stages included{note})",
    )
    return _funnel_rows(table)


INFERRED_SERIES = "CRM-inferred (all channels)"


def mqls_by_month_channel(warehouse: Warehouse) -> Table:
    """MQLs per month (rows: month, channel, mqls): scored MQL events per lead source channel (re-qualifications
    included: they add up to `fct_mql_events`), and the MQL entries inferred from the CRM (a lead that skipped
    the stage there) as one series of their own, never mixed into a channel."""
    warehouse.require(MARTS, "fct_funnel_monthly", ("funnel_month", "channel", "mqls", "inferred_mqls"))
    return warehouse.query(
        f"""
        select funnel_month as month, channel, sum(mqls - inferred_mqls) as mqls
        from {MARTS}.fct_funnel_monthly
        group by all
        having sum(mqls - inferred_mqls) > 0
        union all
        select funnel_month as month, '{INFERRED_SERIES}' as channel, sum(inferred_mqls) as mqls
        from {MARTS}.fct_funnel_monthly
        group by all
        having sum(inferred_mqls) > 0
        order by month, channel
        """,
        source=f"{MARTS}.fct_funnel_monthly: scored MQL events by channel (= {MARTS}.fct_mql_events), "
               "CRM-inferred MQL entries as their own series",
    )


def cost_per_mql_by_channel(warehouse: Warehouse) -> Table:
    """Spend, MQLs and spend per MQL per channel over the whole period (rows: channel, spend_usd, mqls,
    cost_per_mql; cost is null for a channel with spend and no MQLs)."""
    warehouse.require(MARTS, "fct_funnel_monthly", ("channel", "mqls", "spend_usd"))
    return warehouse.query(
        f"""
        select
            channel,
            coalesce(sum(spend_usd), 0) as spend_usd,
            coalesce(sum(mqls), 0) as mqls,
            sum(spend_usd) / nullif(sum(mqls), 0) as cost_per_mql
        from {MARTS}.fct_funnel_monthly
        group by channel
        having coalesce(sum(spend_usd), 0) > 0
        order by cost_per_mql nulls last, channel
        """,
        source=f"{MARTS}.fct_funnel_monthly (spend / MQLs of the same channel)",
    )


def sla_bucket_labels(buckets: Sequence[float]) -> list[str]:
    """Bucket labels in order: '<= 5 min', '<= 1 h', '<= 24 h', '> 24 h', 'never touched'."""
    ordered = sorted(buckets)
    labels = [f"<= {format_minutes(minutes)}" for minutes in ordered]
    return [*labels, f"> {format_minutes(ordered[-1])}", "never touched"]


def _bucket_sql(minutes: str, buckets: Sequence[float]) -> str:
    """SQL mapping minutes-to-first-touch (null = never touched) to a bucket index (0-based, in label order)."""
    ordered = sorted(buckets)
    whens = " ".join(f"when {minutes} <= {float(bound)!r} then {index}" for index, bound in enumerate(ordered))
    return f"case when {minutes} is null then {len(ordered) + 1} {whens} else {len(ordered)} end"


def _speed_rows(table: Table, config: ReportConfig) -> Table:
    """(bucket_index, mql_events, within_target) -> one row per bucket label (zeros included)."""
    labels = sla_bucket_labels(config.sla_buckets_minutes)
    counts = {int(index): (int(events), int(within)) for index, events, within in table.rows}
    rows = [(label, *counts.get(index, (0, 0))) for index, label in enumerate(labels)]
    return Table(("bucket", "mql_events", "within_target"), rows, table.source)


def speed_to_lead(warehouse: Warehouse, config: ReportConfig) -> Table:
    """MQL events per speed-to-lead bucket (minutes from the MQL to the first sales touch after it) and how many
    met the SLA target."""
    warehouse.require(MARTS, "fct_mql_speed_to_lead", ("minutes_to_first_touch", "is_never_touched"))
    table = warehouse.query(
        f"""
        select
            {_bucket_sql("minutes", config.sla_buckets_minutes)} as bucket_index,
            count(*) as mql_events,
            count(*) filter (where minutes <= ?) as within_target
        from (
            select case when is_never_touched then null else minutes_to_first_touch end as minutes
            from {MARTS}.fct_mql_speed_to_lead
        )
        group by all
        """,
        [config.sla_target_minutes],
        source=f"{MARTS}.fct_mql_speed_to_lead.minutes_to_first_touch",
    )
    return _speed_rows(table, config)
