{#- One row per month of the MQL event, lead source channel and original campaign (null when unknown): MQL events,
    those measurable for the SLA, touched within it, and never touched (measurable only). -#}

with

speed_to_lead as (
    select * from {{ ref('fct_mql_speed_to_lead') }}
)

select
    cast(qualified_month as {{ dbt.type_string() }}) || ':' || lead_source_channel || ':'
    || coalesce(original_campaign_id, '(none)') as speed_month_id,
    qualified_month as funnel_month,
    lead_source_channel as channel,
    original_campaign_id as campaign_id,
    cast(count(*) as integer) as mql_events,
    cast(sum(case when is_sla_measurable then 1 else 0 end) as integer) as sla_measurable_mql_events,
    cast(sum(case when is_within_sla then 1 else 0 end) as integer) as within_sla_mql_events,
    cast(sum(case when is_never_touched and is_sla_measurable then 1 else 0 end) as integer)
        as never_touched_mql_events,
    cast(avg(minutes_to_first_touch) as {{ type_double() }}) as avg_minutes_to_first_touch
from speed_to_lead
group by qualified_month, lead_source_channel, original_campaign_id
