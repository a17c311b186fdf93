{#- One row per MQL event: the routing rule that matched the lead's attributes
    valid at qualification (seeds routing_rules, lowest priority first; `any` is a fallback), its pool, and the
    owner the pool's weighted round robin gives (seed routing_pools: each owner takes `weight` turns in a cycle, in
    the order the pool's MQLs qualified). No rule matches: unrouted (counted, never dropped). -#}
-- depends_on: {{ ref('routing_rules') }}
-- depends_on: {{ ref('routing_pools') }}
{%- set routing = routing_rules() %}
{%- set slots = [] %}
{%- for pool, owners in routing.pools.items() %}
    {%- set position = namespace(value=0) %}
    {%- for owner in owners | sort(attribute='owner_id') %}
        {%- for turn in range(owner.weight) %}
            {%- do slots.append({'pool': pool, 'slot': position.value, 'owner_id': owner.owner_id}) %}
            {%- set position.value = position.value + 1 %}
        {%- endfor %}
    {%- endfor %}
{%- endfor %}

with

mql_events as (
    select * from {{ ref('fct_mql_events') }}
),

attributes as (
    select * from {{ ref('int_contact_attributes') }}
),

pool_slots as (
    {%- for slot in slots %}
    select
        '{{ slot.pool | replace("'", "''") }}' as pool,
        {{ slot.slot }} as slot,
        '{{ slot.owner_id | replace("'", "''") }}' as owner_id
    {{ 'union all' if not loop.last }}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as pool,
        cast(null as integer) as slot,
        cast(null as {{ dbt.type_string() }}) as owner_id
    where 1 = 0
    {%- endfor %}
),

pool_sizes as (
    select
        pool,
        count(*) as slots
    from pool_slots
    group by pool
),

at_qualification as (
    select
        mql_events.mql_event_id,
        mql_events.contact_id,
        mql_events.qualified_at,
        attributes.account_id,
        attributes.country_code,
        attributes.region,
        attributes.company_size_band,
        attributes.industry,
        attributes.lead_source_channel
    from mql_events
    left join attributes
        on
            mql_events.contact_id = attributes.contact_id
            and mql_events.qualified_at >= coalesce(attributes.valid_from, mql_events.qualified_at)
            and (attributes.valid_to is null or mql_events.qualified_at < attributes.valid_to)
),

matched as (
    select
        at_qualification.*,
        {{ routing_match(routing.rules, 'rule_id') }} as routing_rule_id,
        {{ routing_match(routing.rules, 'pool') }} as routing_pool
    from at_qualification
),

sequenced as (
    select
        matched.*,
        row_number() over (
            partition by matched.routing_pool order by matched.qualified_at, matched.mql_event_id
        ) - 1 as pool_position
    from matched
)

select
    sequenced.mql_event_id,
    sequenced.contact_id,
    sequenced.qualified_at,
    sequenced.routing_rule_id,
    sequenced.routing_pool,
    pool_slots.owner_id as routed_owner_id,
    case when pool_slots.owner_id is not null then sequenced.qualified_at end as routed_at,
    pool_slots.owner_id is not null as is_routed
from sequenced
left join pool_sizes
    on sequenced.routing_pool = pool_sizes.pool
left join pool_slots
    on
        sequenced.routing_pool = pool_slots.pool
        and mod(sequenced.pool_position, pool_sizes.slots) = pool_slots.slot
