"""The funnel table `mql demo` and `mql summary` print: leads, MQLs, SQLs, opportunities, customers, MQL->SQL rate,
cost per MQL and share of MQLs touched within the SLA, per lead source channel and in total, read from the funnel
marts of a built warehouse (README "Funnel metrics" defines each number)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
from rich.table import Table

TOTAL = "all channels"
MARTS: tuple[str, ...] = ("fct_funnel_lead_cohorts", "fct_funnel_monthly")

# Stage counts are lead cohorts (leads of the channel, and how many of them reached each step: counts never increase
# down the funnel); cost per MQL and the SLA share are over the months: spend / MQL entries, touched within the SLA /
# SLA-measurable MQL events.
_QUERY = """
with

cohorts as (
    select
        lead_source_channel as channel,
        sum(leads) as leads,
        sum(mqls) as mqls,
        sum(sqls) as sqls,
        sum(opportunities) as opportunities,
        sum(customers) as customers
    from {schema}.fct_funnel_lead_cohorts
    group by grouping sets ((lead_source_channel), ())
),

monthly as (
    select
        channel,
        sum(spend_usd) as spend_usd,
        sum(mqls) as mql_entries,
        sum(within_sla_mql_events) as within_sla,
        sum(sla_measurable_mql_events) as sla_measurable
    from {schema}.fct_funnel_monthly
    group by grouping sets ((channel), ())
)

select
    coalesce(cohorts.channel, monthly.channel) as channel,
    cohorts.channel is null and monthly.channel is null as is_total,
    coalesce(cohorts.leads, 0) as leads,
    coalesce(cohorts.mqls, 0) as mqls,
    coalesce(cohorts.sqls, 0) as sqls,
    coalesce(cohorts.opportunities, 0) as opportunities,
    coalesce(cohorts.customers, 0) as customers,
    cast(cohorts.sqls as double) / nullif(cohorts.mqls, 0) as mql_to_sql_rate,
    monthly.spend_usd / nullif(monthly.mql_entries, 0) as cost_per_mql,
    cast(monthly.within_sla as double) / nullif(monthly.sla_measurable, 0) as share_within_sla
from cohorts
full outer join monthly
    on cohorts.channel is not distinct from monthly.channel
order by is_total, leads desc, channel
"""


@dataclass(frozen=True)
class FunnelRow:
    """One line of the funnel table: a lead source channel, or the total (`channel == TOTAL`)."""

    channel: str
    leads: int
    mqls: int
    sqls: int
    opportunities: int
    customers: int
    mql_to_sql_rate: float | None
    cost_per_mql: float | None
    share_within_sla: float | None


def funnel_rows(database: Path, schema: str = "marts") -> list[FunnelRow]:
    """Funnel rows per channel (most leads first) and a last total row; [] when the funnel marts are not built."""
    with duckdb.connect(str(database), read_only=True) as connection:
        built = connection.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name in (?, ?)",
            [schema, *MARTS],
        ).fetchone()
        if not built or built[0] < len(MARTS):
            return []
        records = connection.execute(_QUERY.format(schema=schema)).fetchall()
    return [
        FunnelRow(
            channel=TOTAL if is_total else str(channel),
            leads=int(leads), mqls=int(mqls), sqls=int(sqls), opportunities=int(opportunities),
            customers=int(customers),
            mql_to_sql_rate=None if rate is None else float(rate),
            cost_per_mql=None if cost is None else float(cost),
            share_within_sla=None if share is None else float(share),
        )
        for channel, is_total, leads, mqls, sqls, opportunities, customers, rate, cost, share in records
    ]


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def funnel_table(rows: list[FunnelRow]) -> Table:
    """The rows as a rich table (rates as percentages, cost in USD, '-' where a ratio has no denominator)."""
    table = Table(title="Funnel by lead source channel (lead cohorts; cost and SLA over all months)")
    table.add_column("channel")
    for column in ("leads", "MQLs", "SQLs", "opps", "customers", "MQL->SQL", "cost/MQL", "within SLA"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            f"[bold]{row.channel}[/]" if row.channel == TOTAL else row.channel,
            f"{row.leads:,}", f"{row.mqls:,}", f"{row.sqls:,}", f"{row.opportunities:,}", f"{row.customers:,}",
            _percent(row.mql_to_sql_rate),
            "-" if row.cost_per_mql is None else f"${row.cost_per_mql:,.0f}",
            _percent(row.share_within_sla),
        )
    return table
