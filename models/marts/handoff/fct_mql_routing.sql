{#- One row per MQL event: who the routing rules give it to and when, against
    the CRM's owner at qualification, and the speed to the first sales touch from the routing time. -#}

with

routing as (
    select * from {{ ref('int_mql_routing') }}
),

first_touches as (
    select * from {{ ref('int_mql_first_touches') }}
)

select
    routing.mql_event_id,
    routing.contact_id,
    routing.qualified_at,
    routing.routing_rule_id,
    routing.routing_pool,
    routing.routed_owner_id,
    routing.routed_at,
    routing.is_routed,
    first_touches.owner_id_at_mql,
    coalesce(routing.routed_owner_id = first_touches.owner_id_at_mql, false) as is_crm_owner_routed_owner,
    first_touches.first_touch_at,
    first_touches.first_touch_owner_id,
    coalesce(first_touches.first_touch_owner_id = routing.routed_owner_id, false) as is_touched_by_routed_owner,
    cast(
        case
            when routing.routed_at is not null and first_touches.first_touch_at is not null
                then (
                    {{ epoch_microseconds('first_touches.first_touch_at') }}
                    - {{ epoch_microseconds('routing.routed_at') }}
                ) / 60000000.0
        end as {{ type_double() }}
    ) as minutes_from_routing_to_first_touch
from routing
left join first_touches
    on routing.mql_event_id = first_touches.mql_event_id
