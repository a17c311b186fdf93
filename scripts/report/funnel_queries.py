"""One query per funnel chart: funnel by stage, MQLs per month by channel, cost per MQL, speed-to-lead.

Each reads the funnel/lifecycle mart built for it when the warehouse has it (with the columns used) and otherwise
computes the same figure from the scoring marts and staging, in a clearly named `*_from_staging` function. The
source used is returned with the rows and printed under the chart.
"""

from __future__ import annotations

from collections.abc import Sequence

from scripts.report.config import ReportConfig, format_minutes
from scripts.report.warehouse import MARTS, STAGING, Table, Warehouse

FUNNEL_STAGES: tuple[str, ...] = ("Lead", "MQL", "SQL", "Opportunity", "Customer")


def _funnel_rows(table: Table) -> Table:
    """One row (leads, mqls, sqls, opportunities, customers) -> one row per stage with its lead count."""
    values = table.rows[0] if table.rows else (0,) * len(FUNNEL_STAGES)
    rows = [(stage, int(value or 0)) for stage, value in zip(FUNNEL_STAGES, values, strict=True)]
    return Table(("stage", "leads"), rows, table.source)


def funnel_by_stage_from_mart(warehouse: Warehouse) -> Table:
    """Leads that reached each stage, summed over the lead cohorts of `fct_funnel_lead_cohorts`."""
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


def funnel_by_stage_from_staging(warehouse: Warehouse) -> Table:
    """Leads that reached each stage from dim_leads, the CRM stage history and opportunities; a later stage
    implies the earlier ones, so counts never rise down the funnel."""
    warehouse.require(MARTS, "dim_leads", ("contact_id", "has_ever_been_mql"))
    warehouse.require(STAGING, "stg_crm__lead_stage_history", ("contact_id", "lead_stage"))
    warehouse.require(STAGING, "stg_crm__opportunities", ("primary_contact_id", "is_won"))
    table = warehouse.query(
        f"""
        with crm as (
            select
                contact_id,
                bool_or(lead_stage = 'mql') as has_crm_mql,
                bool_or(lead_stage = 'sales_qualified') as has_sql
            from {STAGING}.stg_crm__lead_stage_history
            group by contact_id
        ),
        opportunities as (
            select primary_contact_id as contact_id, bool_or(coalesce(is_won, false)) as has_won
            from {STAGING}.stg_crm__opportunities
            where primary_contact_id is not null
            group by primary_contact_id
        ),
        reached as (
            select
                coalesce(opportunities.has_won, false) as is_customer,
                opportunities.contact_id is not null as has_opportunity,
                coalesce(crm.has_sql, false) as has_sql,
                leads.has_ever_been_mql or coalesce(crm.has_crm_mql, false) as has_mql
            from {MARTS}.dim_leads as leads
            left join crm on leads.contact_id = crm.contact_id
            left join opportunities on leads.contact_id = opportunities.contact_id
        )
        select
            count(*),
            count(*) filter (where has_mql or has_sql or has_opportunity),
            count(*) filter (where has_sql or has_opportunity),
            count(*) filter (where has_opportunity),
            count(*) filter (where is_customer)
        from reached
        """,
        source=f"computed from {MARTS}.dim_leads, {STAGING}.stg_crm__lead_stage_history and opportunities",
    )
    return _funnel_rows(table)


def funnel_by_stage(warehouse: Warehouse) -> Table:
    """Leads per funnel stage (Lead, MQL, SQL, Opportunity, Customer)."""
    if warehouse.has(MARTS, "fct_funnel_lead_cohorts", ("leads", "mqls", "sqls", "opportunities", "customers")):
        return funnel_by_stage_from_mart(warehouse)
    return funnel_by_stage_from_staging(warehouse)


INFERRED_SERIES = "CRM-inferred (all channels)"


def mqls_by_month_channel(warehouse: Warehouse) -> Table:
    """MQLs per month (rows: month, channel, mqls): scored MQL events per lead source channel (re-qualifications
    included: they add up to `fct_mql_events`), and the MQL entries inferred from the CRM (a lead that skipped
    the stage there) as one series of their own, never mixed into a channel."""
    if warehouse.has(MARTS, "fct_funnel_monthly", ("funnel_month", "channel", "mqls", "inferred_mqls")):
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
    return mqls_by_month_channel_from_staging(warehouse)


def mqls_by_month_channel_from_staging(warehouse: Warehouse) -> Table:
    """MQL events of the scoring engine per month of qualification and the lead's source channel."""
    warehouse.require(MARTS, "fct_mql_events", ("contact_id", "qualified_at"))
    warehouse.require(MARTS, "dim_leads", ("contact_id", "lead_source_channel"))
    return warehouse.query(
        f"""
        select
            cast(date_trunc('month', events.qualified_at) as date) as month,
            coalesce(leads.lead_source_channel, 'unknown') as channel,
            count(*) as mqls
        from {MARTS}.fct_mql_events as events
        left join {MARTS}.dim_leads as leads on events.contact_id = leads.contact_id
        group by all
        order by month, channel
        """,
        source=f"computed from {MARTS}.fct_mql_events (scored MQL events) and dim_leads.lead_source_channel",
    )


def cost_per_mql_by_channel(warehouse: Warehouse) -> Table:
    """Spend, MQLs and spend per MQL per channel over the whole period (rows: channel, spend_usd, mqls,
    cost_per_mql; cost is null for a channel with spend and no MQLs)."""
    if warehouse.has(MARTS, "fct_funnel_monthly", ("channel", "mqls", "spend_usd")):
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
    return cost_per_mql_by_channel_from_staging(warehouse)


def cost_per_mql_by_channel_from_staging(warehouse: Warehouse) -> Table:
    """Marketing spend per channel divided by the scoring engine's MQL events of leads from that channel."""
    warehouse.require(STAGING, "stg_marketing__marketing_spend", ("channel", "amount_usd"))
    warehouse.require(MARTS, "fct_mql_events", ("contact_id",))
    warehouse.require(MARTS, "dim_leads", ("contact_id", "lead_source_channel"))
    return warehouse.query(
        f"""
        with spend as (
            select channel, sum(amount_usd) as spend_usd
            from {STAGING}.stg_marketing__marketing_spend
            group by channel
        ),
        mqls as (
            select coalesce(leads.lead_source_channel, 'unknown') as channel, count(*) as mqls
            from {MARTS}.fct_mql_events as events
            left join {MARTS}.dim_leads as leads on events.contact_id = leads.contact_id
            group by all
        )
        select
            spend.channel,
            spend.spend_usd,
            coalesce(mqls.mqls, 0) as mqls,
            spend.spend_usd / nullif(mqls.mqls, 0) as cost_per_mql
        from spend
        left join mqls on spend.channel = mqls.channel
        where spend.spend_usd > 0
        order by cost_per_mql nulls last, spend.channel
        """,
        source=f"computed from {STAGING}.stg_marketing__marketing_spend and {MARTS}.fct_mql_events",
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
    if warehouse.has(MARTS, "fct_mql_speed_to_lead", ("minutes_to_first_touch", "is_never_touched")):
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
    return speed_to_lead_from_staging(warehouse, config)


def speed_to_lead_from_staging(warehouse: Warehouse, config: ReportConfig) -> Table:
    """Minutes from each MQL event to the lead's first sales activity at or after it (and before the lead's next
    MQL event), bucketed against the SLA."""
    warehouse.require(MARTS, "fct_mql_events", ("mql_event_id", "contact_id", "qualified_at", "mql_sequence"))
    warehouse.require(STAGING, "stg_crm__sales_activities", ("contact_id", "occurred_at"))
    table = warehouse.query(
        f"""
        with mqls as (
            select
                mql_event_id,
                contact_id,
                qualified_at,
                lead(qualified_at) over (partition by contact_id order by mql_sequence) as next_qualified_at
            from {MARTS}.fct_mql_events
        ),
        first_touches as (
            select mqls.mql_event_id, mqls.qualified_at, min(activities.occurred_at) as first_touch_at
            from mqls
            left join {STAGING}.stg_crm__sales_activities as activities
                on mqls.contact_id = activities.contact_id
                and activities.occurred_at >= mqls.qualified_at
                and (mqls.next_qualified_at is null or activities.occurred_at < mqls.next_qualified_at)
            group by mqls.mql_event_id, mqls.qualified_at
        ),
        timed as (
            select date_diff('second', qualified_at, first_touch_at) / 60.0 as minutes from first_touches
        )
        select
            {_bucket_sql("minutes", config.sla_buckets_minutes)} as bucket_index,
            count(*) as mql_events,
            count(*) filter (where minutes <= ?) as within_target
        from timed
        group by all
        """,
        [config.sla_target_minutes],
        source=f"computed from {MARTS}.fct_mql_events and {STAGING}.stg_crm__sales_activities",
    )
    return _speed_rows(table, config)
