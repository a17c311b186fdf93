{#- One row per MQL event: the first qualifying instant of each requalification epoch, with its sequence number,
    what triggered it (event and top rule, a fit change, or the lead's creation when it met the setting from the
    start) and the scores at that instant. -#}

with

crossings as (
    select * from {{ ref('int_mql_crossings') }}
    where is_first_in_epoch
),

trigger_event_ids as (
    select source_id as event_id
    from crossings
    where instant_kind = 'event'
),

trigger_events as (
    select * from {{ ref('int_events_scored') }}
    where event_id in (select trigger_event_ids.event_id from trigger_event_ids)
),

top_rules as (
    select
        event_id,
        rule_id,
        event_type,
        row_number() over (partition by event_id order by awarded_points desc, rule_id asc) as rule_rank
    from trigger_events
),

mql_events as (
    select
        crossings.*,
        cast(
            row_number() over (
                partition by crossings.contact_id order by crossings.scored_at, crossings.requalification_epoch
            ) as bigint
        ) as mql_sequence
    from crossings
)

select
    mql_events.contact_id || ':' || cast(mql_events.mql_sequence as {{ dbt.type_string() }}) as mql_event_id,
    mql_events.contact_id,
    mql_events.mql_sequence,
    mql_events.scored_at as qualified_at,
    mql_events.qualification_type,
    mql_events.instant_kind as trigger_kind,
    case when mql_events.instant_kind = 'event' then mql_events.source_id end as trigger_event_id,
    top_rules.event_type as trigger_event_type,
    top_rules.rule_id as trigger_rule_id,
    mql_events.fit_score,
    mql_events.engagement_score,
    mql_events.negative_score,
    mql_events.total_score,
    mql_events.fit_grade,
    mql_events.engagement_band,
    mql_events.fit_grade || cast(mql_events.engagement_band as {{ dbt.type_string() }}) as grade_cell,
    mql_events.requalification_epoch
from mql_events
left join top_rules
    on
        mql_events.instant_kind = 'event'
        and mql_events.source_id = top_rules.event_id
        and top_rules.rule_rank = 1
