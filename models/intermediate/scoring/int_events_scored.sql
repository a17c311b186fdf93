{#- One row per event and engagement rule it matches (`engagement_rules` seed): the points the rule gives the event
    (its points, or its points per whole unit of a quantity such as minutes on site) and the points it is awarded after the rule's daily limit (`max_per_day`: only the first N matching events of a
    contact and UTC day score). Decay, windows and caps depend on the time the score is read, so they are applied
    downstream (`int_contact_score_history`, `fct_lead_score_components`). Point-in-time: var as_of drops later
    events.

    Incremental per contact (`replace_contacts` strategy, `macros/incremental/contact_changes.sql`): a build
    recomputes whole the contacts whose staged events changed since the previous one (and the contacts those
    events belonged to before), since daily limits count a contact's events per day. -#}
{%- set rules_list = engagement_rules() -%}
{%- set watermark = incremental_watermark(this) if is_incremental() else none -%}
-- depends_on: {{ ref('event_types') }}, {{ ref('engagement_rules') }}
-- depends_on: {{ ref('base_marketing__events') }}, {{ ref('stg_crm__contact_map') }}
-- depends_on: {{ ref('base_crm__contacts') }}, {{ ref('base_crm__accounts') }}
-- depends_on: {{ ref('base_crm__lead_stage_history') }}
{{ config(
    materialized=event_volume_materialization(),
    incremental_strategy='replace_contacts',
    event_id_column='event_id',
    on_schema_change='fail',
) }}

with

-- materialized in an incremental build: the changed contacts' events are then filtered before the rule join
events as {{ materialized_cte() if watermark is not none }} (
    select
        event_id,
        contact_id,
        event_type,
        page_category,
        campaign_id,
        asset_name,
        url,
        duration_seconds,
        {{- event_property_columns(rules_list, 'properties') }}
        occurred_at
    from {{ ref('stg_marketing__events') }}
    where
        {{ as_of_filter('occurred_at') }}
        and {{ contacts_to_recompute('contact_id', this, 'event_id', watermark) }}
),

-- the validated rubric (seed `engagement_rules`, or var rubric_rows in a unit test) as rows
rules as (
    {{ engagement_rule_rows(rules_list) }}
),

matched as (
    select
        events.event_id,
        events.contact_id,
        events.event_type,
        events.occurred_at,
        rules.rule_id,
        rules.score_family,
        {{ event_rule_points('events', 'rules', rules_list) }} as points,
        rules.max_per_day,
        coalesce(rules.is_fast_track, false) as is_fast_track,
        row_number() over (
            partition by events.contact_id, rules.rule_id, cast(events.occurred_at as date)
            order by events.occurred_at, events.event_id
        ) as daily_occurrence
    from events
    inner join rules
        on
            events.event_type = rules.event_type
            and {{ event_rule_matches('events', 'rules', rules_list) }}
)

select
    event_id || ':' || rule_id as event_rule_id,
    event_id,
    contact_id,
    rule_id,
    score_family,
    event_type,
    points,
    case when max_per_day is null or daily_occurrence <= max_per_day then points else 0 end as awarded_points,
    daily_occurrence,
    coalesce(daily_occurrence > max_per_day, false) as is_over_daily_limit,
    is_fast_track,
    occurred_at,
    {{ incremental_state_columns() }}
from matched
