{#- One row per lead cohort (month the lead was created), lead source channel and original campaign (null when
    unknown): how many of the cohort's leads reached each funnel stage by the reference time (MQL and SQL counts
    include inferred stages, so counts never increase down the funnel), the conversion rates, the time to
    conversion and pipeline of the cohort. A cohort is immature while the end of its month plus var
    funnel_conversion_window_days is after the reference time: its rates are still rising. -#}
{%- set window_days = var('funnel_conversion_window_days') -%}
{%- if window_days is not number or window_days < 0 -%}
{{ exceptions.raise_compiler_error("var funnel_conversion_window_days: must be a number of days (0 or more), got '" ~ window_days ~ "'") }}
{%- endif %}

with

lifecycle as (
    select * from {{ ref('dim_lead_lifecycle') }}
),

opportunities as (
    select * from {{ ref('fct_opportunity_attribution') }}
),

lead_pipeline as (
    select
        contact_id,
        sum(amount_usd) as pipeline_usd,
        sum(won_amount_usd) as won_revenue_usd
    from opportunities
    where contact_id is not null
    group by contact_id
),

cohorts as (
    select
        lifecycle.cohort_month,
        lifecycle.lead_source_channel,
        lifecycle.original_campaign_id,
        max(lifecycle.reference_at) as reference_at,
        count(*) as leads,
        sum(case when lifecycle.has_reached_mql then 1 else 0 end) as mqls,
        sum(case when lifecycle.has_reached_sql then 1 else 0 end) as sqls,
        sum(case when lifecycle.has_reached_opportunity then 1 else 0 end) as opportunities,
        sum(case when lifecycle.is_customer then 1 else 0 end) as customers,
        sum(case when lifecycle.is_pql then 1 else 0 end) as pqls,
        sum(case when lifecycle.inferred_mql_entries > 0 then 1 else 0 end) as leads_with_inferred_mql,
        avg(lifecycle.days_lead_to_mql) as avg_days_lead_to_mql,
        percentile_cont(0.5) within group (order by lifecycle.days_lead_to_mql) as median_days_lead_to_mql,
        avg(lifecycle.days_mql_to_sql) as avg_days_mql_to_sql,
        percentile_cont(0.5) within group (order by lifecycle.days_mql_to_sql) as median_days_mql_to_sql,
        avg(lifecycle.days_sql_to_won) as avg_days_sql_to_won,
        percentile_cont(0.5) within group (order by lifecycle.days_sql_to_won) as median_days_sql_to_won,
        coalesce(sum(lead_pipeline.pipeline_usd), 0) as pipeline_usd,
        coalesce(sum(lead_pipeline.won_revenue_usd), 0) as won_revenue_usd
    from lifecycle
    left join lead_pipeline
        on lifecycle.contact_id = lead_pipeline.contact_id
    group by lifecycle.cohort_month, lifecycle.lead_source_channel, lifecycle.original_campaign_id
),

maturity as (
    select
        *,
        cast({{ dbt.dateadd('day', window_days | int, dbt.dateadd('month', 1, 'cohort_month')) }} as date)
            as matures_on
    from cohorts
)

select
    cast(cohort_month as {{ dbt.type_string() }}) || ':' || lead_source_channel || ':'
    || coalesce(original_campaign_id, '(none)') as lead_cohort_id,
    cohort_month,
    lead_source_channel,
    original_campaign_id,
    cast(leads as integer) as leads,
    cast(mqls as integer) as mqls,
    cast(sqls as integer) as sqls,
    cast(opportunities as integer) as opportunities,
    cast(customers as integer) as customers,
    cast(pqls as integer) as pqls,
    cast(leads_with_inferred_mql as integer) as leads_with_inferred_mql,
    cast(mqls as {{ type_double() }}) / nullif(leads, 0) as lead_to_mql_rate,
    cast(sqls as {{ type_double() }}) / nullif(mqls, 0) as mql_to_sql_rate,
    cast(opportunities as {{ type_double() }}) / nullif(sqls, 0) as sql_to_opportunity_rate,
    cast(customers as {{ type_double() }}) / nullif(leads, 0) as lead_to_customer_rate,
    cast(avg_days_lead_to_mql as {{ type_double() }}) as avg_days_lead_to_mql,
    cast(median_days_lead_to_mql as {{ type_double() }}) as median_days_lead_to_mql,
    cast(avg_days_mql_to_sql as {{ type_double() }}) as avg_days_mql_to_sql,
    cast(median_days_mql_to_sql as {{ type_double() }}) as median_days_mql_to_sql,
    cast(avg_days_sql_to_won as {{ type_double() }}) as avg_days_sql_to_won,
    cast(median_days_sql_to_won as {{ type_double() }}) as median_days_sql_to_won,
    cast(pipeline_usd as {{ type_double() }}) as pipeline_usd,
    cast(won_revenue_usd as {{ type_double() }}) as won_revenue_usd,
    matures_on > reference_at as is_immature,
    matures_on,
    reference_at
from maturity
