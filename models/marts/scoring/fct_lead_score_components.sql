{#- One row per lead and scoring rule that touched it, read at the scoring reference time (var as_of, else the
    latest event): how many points the rule gave, and where points went (daily limit, window, decay, cap).
    "Why is this lead scored so?" is `select * from fct_lead_score_components where contact_id = ...`: an attribute
    (fit) row names the attribute tested, the lead's value (text, or the number a bin compared) and the rule's bin
    bounds; every row carries its rule's description from the rule seed.

    Rebased from its previous build (DuckDB, PostgreSQL; recomputed whole on Spark). The reference time moves with
    every delivery, so every lead's decayed points change, but a lead whose events did not change needs none of
    them re-read: from the previous reference r0 to the new one r1, a rule's points in its window lose only the
    events that left the window in between (occurred in [r0 - window, r1 - window)), and its decayed sum is
        decayed(r1) = (decayed(r0) - decayed-at-r0 of those events) * 2^(-(r1 - r0) / half-life).
    So a build reads the events of the leads the scored events recomputed (whole, from their events), the thin
    slice of events that expired since r0 (every other lead, from its previous row), and the current fit rules.
    Everything is recomputed from events when there is no valid previous state (first build, --full-refresh, a
    changed rule, seed or var: the state fingerprint) or the reference moved back. Equal to a full rebuild up to
    float rounding (`tests/python/test_incremental.py`).

    Every row changes at each build, so the model is a `table` that reads its previous build (`this`): the new
    table is written once beside the old one and swapped in, where an incremental model would write the rows to
    a temporary table and then delete and insert all of them. -#}
{%- set watermark = incremental_watermark(this) if previous_build_is_readable() else none -%}
{%- set previous_reference_us = rebase_reference_us(this, watermark) -%}
{%- set rebase = previous_reference_us is not none -%}
{{ config(materialized='table') }}

with
{%- if rebase %}

-- events of the leads the scored events rewrote whole (new events, moved events, new contact data); each use of
-- the scored events reads them itself, so its filter reaches the scan (a CTE read twice is materialized whole)
recomputed_events as (
    select * from {{ ref('int_events_scored') }}
    where {{ incremental_batch_is_new('_batch_loaded_at', watermark) }}
),

unchanged_events as (
    select * from {{ ref('int_events_scored') }}
    where not {{ incremental_batch_is_new('_batch_loaded_at', watermark) }}
),

-- leads with any scored event left: a lead whose events all moved away (a merge) loses its event rows
contacts_with_events as (
    select distinct contact_id from {{ ref('int_events_scored') }}
),
{%- else %}

scored_events as (
    select * from {{ ref('int_events_scored') }}
),
{%- endif %}

rules as (
    select * from {{ ref('engagement_rules') }}
),

attribute_rules as (
    select * from {{ ref('fit_rules') }}
),

fit_components as (
    select * from {{ ref('int_contact_fit_components') }}
),

current_fit_versions as (
    select * from {{ ref('int_contact_fit_scored') }}
    where valid_to is null
),

reference as (
    select
        {{ scoring_reference_time() }} as reference_at,
        {{ epoch_microseconds(scoring_reference_time()) }} as reference_us
),

{%- if rebase %}

previous_event_components as (
    select * from {{ this }}
    where rule_kind = 'event'
),

previous_reference as (
    select
        cast({{ previous_reference_us }} as bigint) as reference_us,
        (reference.reference_us - cast({{ previous_reference_us }} as bigint)) / 86400000000.0 as days_to_reference
    from reference
),

recomputed_contacts as (
    select distinct contact_id from recomputed_events
),

-- events of the other leads that left their rule's window between the previous reference and this one
expiring_events as (
    select
        unchanged_events.contact_id,
        unchanged_events.rule_id,
        unchanged_events.awarded_points,
        rules.half_life_days,
        (previous_reference.reference_us - {{ epoch_microseconds('unchanged_events.occurred_at') }})
        / 86400000000.0 as age_days_at_previous_reference
    from unchanged_events
    inner join rules
        on unchanged_events.rule_id = rules.rule_id
    cross join previous_reference
    cross join reference
    where
        rules.window_days is not null
        and {{ epoch_microseconds('unchanged_events.occurred_at') }}
        >= previous_reference.reference_us - cast(rules.window_days as bigint) * 86400000000
        and {{ epoch_microseconds('unchanged_events.occurred_at') }}
        < reference.reference_us - cast(rules.window_days as bigint) * 86400000000
),

expired_events as (
    select
        contact_id,
        rule_id,
        sum(awarded_points) as expired_points,
        sum(
            case
                when half_life_days is null then awarded_points
                else awarded_points * power(2.0, -age_days_at_previous_reference / half_life_days)
            end
        ) as expired_decayed_points
    from expiring_events
    group by contact_id, rule_id
),

rebased_totals as (
    select
        previous.contact_id,
        previous.rule_id,
        previous.score_family,
        rules.max_points,
        rules.half_life_days,
        previous.event_count,
        previous.raw_points,
        previous.raw_points - previous.points_over_daily_limit as awarded_points,
        previous.raw_points - previous.points_over_daily_limit - previous.points_outside_window
        - coalesce(expired.expired_points, 0) as points_in_window,
        previous.scored_points + previous.points_over_cap
        - coalesce(expired.expired_decayed_points, 0) as decayed_points_at_previous_reference,
        previous.last_event_at
    from previous_event_components as previous
    inner join rules
        on previous.rule_id = rules.rule_id
    -- a join, not `in`: the hash table is built on the distinct contacts, not on the previous rows
    inner join contacts_with_events
        on previous.contact_id = contacts_with_events.contact_id
    left join expired_events as expired
        on previous.contact_id = expired.contact_id and previous.rule_id = expired.rule_id
    where previous.contact_id not in (select recomputed_contacts.contact_id from recomputed_contacts)
),

rebased_rule_totals as (
    select
        rebased_totals.contact_id,
        rebased_totals.rule_id,
        rebased_totals.score_family,
        rebased_totals.max_points,
        rebased_totals.event_count,
        rebased_totals.raw_points,
        rebased_totals.awarded_points,
        rebased_totals.points_in_window,
        case
            when rebased_totals.points_in_window = 0 then 0.0
            when rebased_totals.half_life_days is null then rebased_totals.points_in_window
            else rebased_totals.decayed_points_at_previous_reference
                * power(2.0, -previous_reference.days_to_reference / rebased_totals.half_life_days)
        end as decayed_points,
        rebased_totals.last_event_at
    from rebased_totals
    cross join previous_reference
),
{%- endif %}

event_ages as (
    select
        scored_events.contact_id,
        scored_events.rule_id,
        scored_events.score_family,
        scored_events.points,
        scored_events.awarded_points,
        rules.half_life_days,
        rules.max_points,
        rules.window_days is null
        or {{ epoch_microseconds('scored_events.occurred_at') }}
        >= reference.reference_us - cast(rules.window_days as bigint) * 86400000000 as is_in_window,
        (reference.reference_us - {{ epoch_microseconds('scored_events.occurred_at') }}) / 86400000000.0
            as age_days,
        scored_events.occurred_at
    from {{ 'recomputed_events' if rebase else 'scored_events' }} as scored_events
    inner join rules
        on scored_events.rule_id = rules.rule_id
    cross join reference
),

event_rule_totals as (
    select
        contact_id,
        rule_id,
        min(score_family) as score_family,
        min(max_points) as max_points,
        count(*) as event_count,
        sum(points) as raw_points,
        sum(awarded_points) as awarded_points,
        sum(case when is_in_window then awarded_points else 0 end) as points_in_window,
        sum(
            case
                when not is_in_window then 0
                when half_life_days is null then awarded_points
                else awarded_points * power(2.0, -age_days / half_life_days)
            end
        ) as decayed_points,
        max(occurred_at) as last_event_at
    from event_ages
    group by contact_id, rule_id
    {%- if rebase %}

    union all

    select
        contact_id,
        rule_id,
        score_family,
        max_points,
        event_count,
        raw_points,
        awarded_points,
        points_in_window,
        decayed_points,
        last_event_at
    from rebased_rule_totals
    {%- endif %}
),

event_rule_scores as (
    select
        totals.*,
        case
            when totals.max_points is null then totals.decayed_points
            when totals.max_points > 0 then least(totals.max_points, totals.decayed_points)
            else greatest(totals.max_points, totals.decayed_points)
        end as scored_points
    from event_rule_totals as totals
),

event_components as (
    select
        contact_id,
        rule_id,
        'event' as rule_kind,
        score_family,
        cast(null as {{ dbt.type_string() }}) as attribute,
        cast(null as {{ dbt.type_string() }}) as attribute_value,
        cast(null as {{ type_double() }}) as attribute_number,
        event_count,
        raw_points,
        raw_points - awarded_points as points_over_daily_limit,
        awarded_points - points_in_window as points_outside_window,
        points_in_window - decayed_points as points_decayed,
        decayed_points - scored_points as points_over_cap,
        scored_points,
        last_event_at
    from event_rule_scores
),

attribute_components as (
    select
        fit_components.contact_id,
        fit_components.rule_id,
        'attribute' as rule_kind,
        fit_components.score_family,
        fit_components.attribute,
        -- a number attribute's value is attribute_number (its text spelling differs between warehouses)
        case when fit_components.attribute_number is null then fit_components.attribute_value end as attribute_value,
        fit_components.attribute_number,
        cast(null as bigint) as event_count,
        fit_components.points as raw_points,
        0.0 as points_over_daily_limit,
        0.0 as points_outside_window,
        0.0 as points_decayed,
        0.0 as points_over_cap,
        fit_components.points as scored_points,
        cast(null as timestamp) as last_event_at
    from fit_components
    inner join current_fit_versions
        on fit_components.contact_version_id = current_fit_versions.contact_version_id
),

components as (
    select * from event_components
    union all
    select * from attribute_components
),

-- the current rule seeds, so rebased rows (read from the previous build) carry the current descriptions too
rule_details as (
    select
        rule_id,
        'event' as rule_kind,
        cast(null as {{ type_double() }}) as bin_min_value,
        cast(null as {{ type_double() }}) as bin_max_value,
        description as rule_description
    from rules
    union all
    select
        rule_id,
        'attribute' as rule_kind,
        min_value as bin_min_value,
        max_value as bin_max_value,
        description as rule_description
    from attribute_rules
)

select
    components.contact_id || ':' || components.rule_id as score_component_id,
    components.contact_id,
    components.rule_id,
    components.rule_kind,
    components.score_family,
    components.attribute,
    components.attribute_value,
    components.attribute_number,
    rule_details.bin_min_value,
    rule_details.bin_max_value,
    rule_details.rule_description,
    components.event_count,
    components.raw_points,
    components.points_over_daily_limit,
    components.points_outside_window,
    components.points_decayed,
    components.points_over_cap,
    components.scored_points,
    components.last_event_at,
    reference.reference_at as scored_at,
    {{ incremental_state_columns(batch_relation=ref('int_events_scored')) }}
from components
cross join reference
left join rule_details
    on components.rule_id = rule_details.rule_id and components.rule_kind = rule_details.rule_kind
