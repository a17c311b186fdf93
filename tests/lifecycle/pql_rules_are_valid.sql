{#- Every PQL rule needs at least one usage event, a positive window and different start and usage event types
    (a start event cannot also be a usage session). Returns the invalid rules. -#}

select
    pql_rule_id,
    min_usage_events,
    window_days,
    start_event_type,
    usage_event_type
from {{ ref('pql_rules') }}
where
    min_usage_events < 1
    or window_days < 1
    or start_event_type = usage_event_type
