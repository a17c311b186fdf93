{#- One row per lead and scoring rule that touched it, read at the scoring reference time (var as_of, else the
    latest event): how many points the rule gave, and where points went (daily limit, window, decay, cap).
    "Why is this lead scored so?" is `select * from fct_lead_score_components where contact_id = ...`. -#}

with

scored_events as (
    select * from {{ ref('int_events_scored') }}
),

rules as (
    select * from {{ ref('engagement_rules') }}
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
    from scored_events
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
)

select
    components.contact_id || ':' || components.rule_id as score_component_id,
    components.contact_id,
    components.rule_id,
    components.rule_kind,
    components.score_family,
    components.event_count,
    components.raw_points,
    components.points_over_daily_limit,
    components.points_outside_window,
    components.points_decayed,
    components.points_over_cap,
    components.scored_points,
    components.last_event_at,
    reference.reference_at as scored_at
from components
cross join reference
