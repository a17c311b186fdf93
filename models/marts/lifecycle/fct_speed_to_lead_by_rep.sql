{#- One row per sales rep (the lead's owner at the MQL time; `unassigned` when none) and month of the MQL: MQL
    events, touches, SLA results (var speed_to_lead_sla_minutes) and minutes to first touch. Shares use the MQLs
    measurable for the SLA as denominator. Team and region are the rep's; slice by team in BI or the semantic
    layer (`speed_to_lead` semantic model), which also gives exact team medians. -#}

with

speed_to_lead as (
    select * from {{ ref('fct_mql_speed_to_lead') }}
),

by_rep as (
    select
        coalesce(owner_id_at_mql, 'unassigned') as rep_key,
        qualified_month,
        min(owner_id_at_mql) as owner_id,
        min(owner_team) as owner_team,
        min(owner_region) as owner_region,
        count(*) as mql_events,
        sum(case when is_sla_measurable then 1 else 0 end) as measurable_mql_events,
        sum(case when not is_never_touched then 1 else 0 end) as touched_mql_events,
        sum(case when is_within_sla then 1 else 0 end) as within_sla_mql_events,
        sum(case when is_never_touched and is_sla_measurable then 1 else 0 end) as never_touched_mql_events,
        sum(case when is_touched_by_owner then 1 else 0 end) as touched_by_owner_mql_events,
        avg(minutes_to_first_touch) as avg_minutes_to_first_touch,
        percentile_cont(0.5) within group (order by minutes_to_first_touch) as median_minutes_to_first_touch
    from speed_to_lead
    group by 1, 2
)

select
    rep_key || ':' || cast(qualified_month as {{ dbt.type_string() }}) as rep_month_id,
    owner_id,
    owner_team,
    owner_region,
    qualified_month,
    cast(mql_events as integer) as mql_events,
    cast(measurable_mql_events as integer) as measurable_mql_events,
    cast(touched_mql_events as integer) as touched_mql_events,
    cast(within_sla_mql_events as integer) as within_sla_mql_events,
    cast(never_touched_mql_events as integer) as never_touched_mql_events,
    cast(touched_by_owner_mql_events as integer) as touched_by_owner_mql_events,
    cast(within_sla_mql_events as {{ type_double() }}) / nullif(measurable_mql_events, 0) as share_within_sla,
    cast(never_touched_mql_events as {{ type_double() }}) / nullif(measurable_mql_events, 0) as share_never_touched,
    cast(avg_minutes_to_first_touch as {{ type_double() }}) as avg_minutes_to_first_touch,
    cast(median_minutes_to_first_touch as {{ type_double() }}) as median_minutes_to_first_touch
from by_rep
