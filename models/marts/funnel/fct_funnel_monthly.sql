{#- One row per month, channel and campaign (null when unknown) with any funnel activity or spend: stage entries of
    the month (leads, MQLs, SQLs, opportunities, customers), the month's MQL and SQL cohorts' conversion rates and
    times in stage, spend and cost per MQL, pipeline and won revenue, and speed-to-lead SLA shares. Channel and
    campaign are the lead's source channel and original campaign; spend uses its own channel and campaign.
    Cost per MQL is spend / MQLs of the same month, channel and campaign (`cost_per_mql`) or of the same month and
    channel over all campaigns (`channel_cost_per_mql`); null, not an error, when there are no MQLs. A month is
    immature while its end plus var funnel_conversion_window_days is after the reference time. -#}
{%- set window_days = var('funnel_conversion_window_days') -%}
{%- if window_days is not number or window_days < 0 -%}
{{ exceptions.raise_compiler_error("var funnel_conversion_window_days: must be a number of days (0 or more), got '" ~ window_days ~ "'") }}
{%- endif %}

with

stage_entries as (
    select * from {{ ref('int_funnel_stage_entries_monthly') }}
),

spend as (
    select * from {{ ref('int_marketing_spend_monthly') }}
),

pipeline as (
    select * from {{ ref('int_pipeline_monthly') }}
),

speed_to_lead as (
    select * from {{ ref('int_speed_to_lead_monthly') }}
),

reference as (
    select max(reference_at) as reference_at from stage_entries
),

month_keys as (
    select
        funnel_month,
        channel,
        campaign_id
    from stage_entries
    union
    select
        funnel_month,
        channel,
        campaign_id
    from spend
    union
    select
        funnel_month,
        channel,
        campaign_id
    from pipeline
    union
    select
        funnel_month,
        channel,
        campaign_id
    from speed_to_lead
),

joined as (
    select
        month_keys.funnel_month,
        month_keys.channel,
        month_keys.campaign_id,
        coalesce(stage_entries.leads_created, 0) as leads_created,
        coalesce(stage_entries.mqls, 0) as mqls,
        coalesce(stage_entries.inferred_mqls, 0) as inferred_mqls,
        coalesce(stage_entries.mqls_converted_to_sql, 0) as mqls_converted_to_sql,
        coalesce(stage_entries.sqls, 0) as sqls,
        coalesce(stage_entries.sqls_converted_to_opportunity, 0) as sqls_converted_to_opportunity,
        coalesce(stage_entries.opportunities, 0) as opportunities,
        coalesce(stage_entries.customers, 0) as customers,
        coalesce(stage_entries.recycles, 0) as recycles,
        coalesce(stage_entries.disqualifications, 0) as disqualifications,
        stage_entries.avg_days_mql_to_sql,
        stage_entries.median_days_mql_to_sql,
        {%- for stage_name in ['mql', 'sales_accepted', 'sales_qualified', 'opportunity'] %}
        stage_entries.avg_days_in_{{ stage_name }},
        stage_entries.median_days_in_{{ stage_name }},
        {%- endfor %}
        coalesce(spend.spend_usd, 0) as spend_usd,
        coalesce(pipeline.opportunities_created, 0) as opportunities_created,
        coalesce(pipeline.pipeline_usd, 0) as pipeline_usd,
        coalesce(pipeline.mql_sourced_pipeline_usd, 0) as mql_sourced_pipeline_usd,
        coalesce(pipeline.mql_influenced_pipeline_usd, 0) as mql_influenced_pipeline_usd,
        coalesce(pipeline.deals_won, 0) as deals_won,
        coalesce(pipeline.won_revenue_usd, 0) as won_revenue_usd,
        coalesce(pipeline.mql_sourced_won_revenue_usd, 0) as mql_sourced_won_revenue_usd,
        coalesce(pipeline.mql_influenced_won_revenue_usd, 0) as mql_influenced_won_revenue_usd,
        coalesce(speed_to_lead.mql_events, 0) as scored_mql_events,
        coalesce(speed_to_lead.sla_measurable_mql_events, 0) as sla_measurable_mql_events,
        coalesce(speed_to_lead.within_sla_mql_events, 0) as within_sla_mql_events,
        coalesce(speed_to_lead.never_touched_mql_events, 0) as never_touched_mql_events
    from month_keys
    left join stage_entries
        on
            month_keys.funnel_month = stage_entries.funnel_month
            and month_keys.channel = stage_entries.channel
            and coalesce(month_keys.campaign_id, '') = coalesce(stage_entries.campaign_id, '')
    left join spend
        on
            month_keys.funnel_month = spend.funnel_month
            and month_keys.channel = spend.channel
            and coalesce(month_keys.campaign_id, '') = coalesce(spend.campaign_id, '')
    left join pipeline
        on
            month_keys.funnel_month = pipeline.funnel_month
            and month_keys.channel = pipeline.channel
            and coalesce(month_keys.campaign_id, '') = coalesce(pipeline.campaign_id, '')
    left join speed_to_lead
        on
            month_keys.funnel_month = speed_to_lead.funnel_month
            and month_keys.channel = speed_to_lead.channel
            and coalesce(month_keys.campaign_id, '') = coalesce(speed_to_lead.campaign_id, '')
),

channel_totals as (
    select
        *,
        sum(spend_usd) over (partition by funnel_month, channel) as channel_spend_usd,
        sum(mqls) over (partition by funnel_month, channel) as channel_mqls,
        cast(
            {{ dbt.dateadd('day', window_days | int, dbt.dateadd('month', 1, 'funnel_month')) }} as date
        ) as matures_on
    from joined
)

select
    cast(channel_totals.funnel_month as {{ dbt.type_string() }}) || ':' || channel_totals.channel || ':'
    || coalesce(channel_totals.campaign_id, '(none)') as funnel_month_id,
    channel_totals.funnel_month,
    channel_totals.channel,
    channel_totals.campaign_id,
    cast(channel_totals.leads_created as integer) as leads_created,
    cast(channel_totals.mqls as integer) as mqls,
    cast(channel_totals.inferred_mqls as integer) as inferred_mqls,
    cast(channel_totals.mqls_converted_to_sql as integer) as mqls_converted_to_sql,
    cast(channel_totals.sqls as integer) as sqls,
    cast(channel_totals.sqls_converted_to_opportunity as integer) as sqls_converted_to_opportunity,
    cast(channel_totals.opportunities as integer) as opportunities,
    cast(channel_totals.customers as integer) as customers,
    cast(channel_totals.recycles as integer) as recycles,
    cast(channel_totals.disqualifications as integer) as disqualifications,
    cast(channel_totals.mqls_converted_to_sql as {{ type_double() }})
    / nullif(channel_totals.mqls, 0) as mql_to_sql_rate,
    cast(channel_totals.sqls_converted_to_opportunity as {{ type_double() }}) / nullif(channel_totals.sqls, 0)
        as sql_to_opportunity_rate,
    cast(channel_totals.spend_usd as {{ type_double() }}) as spend_usd,
    cast(channel_totals.spend_usd as {{ type_double() }}) / nullif(channel_totals.mqls, 0) as cost_per_mql,
    cast(channel_totals.channel_spend_usd as {{ type_double() }})
    / nullif(channel_totals.channel_mqls, 0) as channel_cost_per_mql,
    cast(channel_totals.opportunities_created as integer) as opportunities_created,
    cast(channel_totals.pipeline_usd as {{ type_double() }}) as pipeline_usd,
    cast(channel_totals.mql_sourced_pipeline_usd as {{ type_double() }}) as mql_sourced_pipeline_usd,
    cast(channel_totals.mql_influenced_pipeline_usd as {{ type_double() }}) as mql_influenced_pipeline_usd,
    cast(channel_totals.deals_won as integer) as deals_won,
    cast(channel_totals.won_revenue_usd as {{ type_double() }}) as won_revenue_usd,
    cast(channel_totals.mql_sourced_won_revenue_usd as {{ type_double() }}) as mql_sourced_won_revenue_usd,
    cast(channel_totals.mql_influenced_won_revenue_usd as {{ type_double() }}) as mql_influenced_won_revenue_usd,
    cast(channel_totals.scored_mql_events as integer) as scored_mql_events,
    cast(channel_totals.sla_measurable_mql_events as integer) as sla_measurable_mql_events,
    cast(channel_totals.within_sla_mql_events as integer) as within_sla_mql_events,
    cast(channel_totals.never_touched_mql_events as integer) as never_touched_mql_events,
    cast(channel_totals.within_sla_mql_events as {{ type_double() }})
    / nullif(channel_totals.sla_measurable_mql_events, 0)
        as share_within_sla,
    cast(channel_totals.never_touched_mql_events as {{ type_double() }})
    / nullif(channel_totals.sla_measurable_mql_events, 0)
        as share_never_touched,
    channel_totals.avg_days_mql_to_sql,
    channel_totals.median_days_mql_to_sql,
    {%- for stage_name in ['mql', 'sales_accepted', 'sales_qualified', 'opportunity'] %}
    channel_totals.avg_days_in_{{ stage_name }},
    channel_totals.median_days_in_{{ stage_name }},
    {%- endfor %}
    channel_totals.matures_on > reference.reference_at as is_immature,
    channel_totals.matures_on,
    reference.reference_at
from channel_totals
cross join reference
