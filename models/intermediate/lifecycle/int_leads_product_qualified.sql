{#- One row per lead and PQL rule (`pql_rules` seed) the lead met: when it first became product-qualified under
    the rule. Under a rule a lead qualifies at its `min_usage_events`-th usage event after a start event (e.g. a
    trial sign-up), when that usage event is at most `window_days` after the start; a later start event restarts
    the count, and a start and a usage event at the same instant count in that order. With var as_of, later events
    are ignored. -#}

with

events as (
    select * from {{ ref('stg_marketing__events') }}
    where {{ as_of_filter('occurred_at') }}
),

rules as (
    select * from {{ ref('pql_rules') }}
),

rule_events as (
    select
        events.contact_id,
        events.event_id,
        events.occurred_at,
        rules.pql_rule_id,
        rules.min_usage_events,
        rules.window_days,
        events.event_type = rules.start_event_type as is_start
    from events
    inner join rules
        on events.event_type in (rules.start_event_type, rules.usage_event_type)
),

usage_windows as (
    select
        *,
        max(case when is_start then occurred_at end) over (
            partition by contact_id, pql_rule_id
            order by occurred_at, case when is_start then 0 else 1 end, event_id
            rows between unbounded preceding and current row
        ) as started_at
    from rule_events
),

usage_counts as (
    select
        *,
        row_number() over (
            partition by contact_id, pql_rule_id, started_at order by occurred_at, event_id
        ) as usage_number
    from usage_windows
    where not is_start and started_at is not null
),

qualifying as (
    select
        contact_id,
        pql_rule_id,
        event_id,
        started_at,
        occurred_at,
        usage_number,
        row_number() over (partition by contact_id, pql_rule_id order by occurred_at, event_id) as qualification_rank
    from usage_counts
    where
        usage_number >= min_usage_events
        and {{ epoch_microseconds('occurred_at') }} - {{ epoch_microseconds('started_at') }}
        <= cast(window_days as bigint) * 86400000000
)

select
    contact_id || ':' || pql_rule_id as product_qualification_id,
    contact_id,
    pql_rule_id,
    event_id as qualifying_event_id,
    started_at,
    cast(usage_number as {{ dbt.type_int() }}) as usage_events,
    occurred_at as qualified_at
from qualifying
where qualification_rank = 1
