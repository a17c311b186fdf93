{#- Every MQL event of the scoring engine appears exactly once in the lifecycle stage history (as a scored mql
    entry), and every scored mql entry is an MQL event. Returns the MQL events with another count. -#}

with

mql_events as (
    select mql_event_id from {{ ref('fct_mql_events') }}
),

lifecycle_mqls as (
    select
        mql_event_id,
        count(*) as entries
    from {{ ref('fct_lead_stage_history') }}
    where lead_stage = 'mql' and stage_source = 'scoring'
    group by mql_event_id
)

select
    coalesce(mql_events.mql_event_id, lifecycle_mqls.mql_event_id) as mql_event_id,
    coalesce(lifecycle_mqls.entries, 0) as entries
from mql_events
full outer join lifecycle_mqls
    on mql_events.mql_event_id = lifecycle_mqls.mql_event_id
where mql_events.mql_event_id is null or coalesce(lifecycle_mqls.entries, 0) <> 1
