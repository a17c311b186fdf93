{#- One row per rule of the rubric the build scored with (the rule seeds, hand-written or learned): what it matches
    and how many points it gives, with its description, so a dashboard joining fct_lead_score_components or
    fct_mql_events shows "Pricing page view" rather than E01. A rule_id in both seeds fails its compilation
    (rule_ids(); under `dbt build` the seeds' valid_seed_rows test names it first), so `dbt run` catches it too. -#}
{%- do rule_ids() %}

with

engagement_rules as (
    select * from {{ ref('engagement_rules') }}
),

fit_rules as (
    select * from {{ ref('fit_rules') }}
),

rules as (
    select
        rule_id,
        score_family,
        event_type,
        cast(null as {{ dbt.type_string() }}) as attribute,
        condition_field,
        condition_operator,
        condition_value,
        cast(null as {{ type_double() }}) as min_value,
        cast(null as {{ type_double() }}) as max_value,
        cast(points as {{ type_double() }}) as points,
        cast(max_points as {{ type_double() }}) as max_points,
        cast(window_days as integer) as window_days,
        cast(half_life_days as {{ type_double() }}) as half_life_days,
        coalesce(is_fast_track, false) as is_fast_track,
        description
    from engagement_rules
    union all
    select
        rule_id,
        score_family,
        cast(null as {{ dbt.type_string() }}) as event_type,
        attribute,
        cast(null as {{ dbt.type_string() }}) as condition_field,
        cast(null as {{ dbt.type_string() }}) as condition_operator,
        attribute_value as condition_value,
        cast(min_value as {{ type_double() }}) as min_value,
        cast(max_value as {{ type_double() }}) as max_value,
        cast(points as {{ type_double() }}) as points,
        cast(null as {{ type_double() }}) as max_points,
        cast(null as integer) as window_days,
        cast(null as {{ type_double() }}) as half_life_days,
        false as is_fast_track,
        description
    from fit_rules
)

select
    rule_id,
    score_family,
    event_type,
    attribute,
    condition_field,
    condition_operator,
    condition_value,
    min_value,
    max_value,
    points,
    max_points,
    window_days,
    half_life_days,
    is_fast_track,
    description
from rules
