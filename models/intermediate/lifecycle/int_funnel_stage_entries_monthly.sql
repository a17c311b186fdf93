{#- One row per month, lead source channel and original campaign (null when unknown) with lifecycle activity: stage
    entries in the month (the stage cohorts), how many of the month's MQL and SQL entries progressed further in the
    same round, and the time spent in each stage by the entries of the month that have left it. MQLs count every
    MQL entry: scored, inferred and re-qualifications after a recycle. -#}

with

stage_history as (
    select * from {{ ref('fct_lead_stage_history') }}
),

lifecycle as (
    select * from {{ ref('dim_lead_lifecycle') }}
),

entries as (
    select
        stage_history.*,
        lifecycle.lead_source_channel,
        lifecycle.original_campaign_id,
        lifecycle.reference_at,
        cast(
            (
                {{ epoch_microseconds('stage_history.progressed_at') }}
                - {{ epoch_microseconds('stage_history.entered_at') }}
            )
            / 86400000000.0 as {{ type_double() }}
        ) as days_to_progress
    from stage_history
    inner join lifecycle
        on stage_history.contact_id = lifecycle.contact_id
)

select
    cast(entered_month as {{ dbt.type_string() }}) || ':' || lead_source_channel || ':'
    || coalesce(original_campaign_id, '(none)') as stage_month_id,
    entered_month as funnel_month,
    lead_source_channel as channel,
    original_campaign_id as campaign_id,
    max(reference_at) as reference_at,
    cast(sum(case when lead_stage = 'lead' then 1 else 0 end) as integer) as leads_created,
    cast(sum(case when lead_stage = 'mql' then 1 else 0 end) as integer) as mqls,
    cast(sum(case when lead_stage = 'mql' and is_inferred then 1 else 0 end) as integer) as inferred_mqls,
    cast(sum(case when lead_stage = 'mql' and progressed_at is not null then 1 else 0 end) as integer)
        as mqls_converted_to_sql,
    cast(sum(case when funnel_stage = 'sql' and is_funnel_progression then 1 else 0 end) as integer) as sqls,
    cast(
        sum(case when funnel_stage = 'sql' and is_funnel_progression and progressed_at is not null then 1 else 0 end)
        as integer
    ) as sqls_converted_to_opportunity,
    cast(sum(case when lead_stage = 'opportunity' then 1 else 0 end) as integer) as opportunities,
    cast(sum(case when lead_stage = 'customer' then 1 else 0 end) as integer) as customers,
    cast(sum(case when lead_stage = 'recycled' then 1 else 0 end) as integer) as recycles,
    cast(sum(case when lead_stage = 'disqualified' then 1 else 0 end) as integer) as disqualifications,
    {%- for stage_name in ['mql', 'sales_accepted', 'sales_qualified', 'opportunity'] %}
    cast(avg(case when lead_stage = '{{ stage_name }}' then duration_days end) as {{ type_double() }})
        as avg_days_in_{{ stage_name }},
    cast(
        percentile_cont(0.5) within group (
            order by case when lead_stage = '{{ stage_name }}' then duration_days end
        ) as {{ type_double() }}
    ) as median_days_in_{{ stage_name }},
    {%- endfor %}
    cast(avg(case when lead_stage = 'mql' then days_to_progress end) as {{ type_double() }}) as avg_days_mql_to_sql,
    cast(
        percentile_cont(0.5) within group (order by case when lead_stage = 'mql' then days_to_progress end)
        as {{ type_double() }}
    ) as median_days_mql_to_sql
from entries
group by entered_month, lead_source_channel, original_campaign_id
