{#- MQLs summed over channels (and campaigns) equal the total MQLs: in the monthly funnel, the MQL entries of the
    lifecycle; in the lead cohorts, the leads that reached MQL; in both, the scored MQL events are all there.
    Returns one row per broken equality. -#}

with

monthly as (
    select
        sum(mqls) as mqls,
        sum(scored_mql_events) as scored_mql_events
    from {{ ref('fct_funnel_monthly') }}
),

cohorts as (
    select sum(mqls) as mqls from {{ ref('fct_funnel_lead_cohorts') }}
),

lifecycle_entries as (
    select count(*) as mqls from {{ ref('fct_lead_stage_history') }}
    where lead_stage = 'mql'
),

leads_reaching_mql as (
    select count(*) as mqls from {{ ref('dim_lead_lifecycle') }}
    where has_reached_mql
),

mql_events as (
    select count(*) as mqls from {{ ref('fct_mql_events') }}
),

checks as (
    select
        'monthly MQLs = lifecycle MQL entries' as check_name,
        monthly.mqls as summed,
        lifecycle_entries.mqls as total
    from monthly
    cross join lifecycle_entries

    union all

    select
        'cohort MQLs = leads that reached MQL' as check_name,
        cohorts.mqls as summed,
        leads_reaching_mql.mqls as total
    from cohorts
    cross join leads_reaching_mql

    union all

    select
        'monthly scored MQL events = MQL events' as check_name,
        monthly.scored_mql_events as summed,
        mql_events.mqls as total
    from monthly
    cross join mql_events
)

select
    check_name,
    summed,
    total
from checks
where coalesce(summed, 0) <> total
