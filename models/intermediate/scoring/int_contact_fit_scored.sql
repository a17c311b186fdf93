{#- One row per contact version: its fit points (positive fit rules plus negative attribute rules), the negative
    part, the fit grade, valid from `valid_from` (null for the first version: all earlier time) to `valid_to`, and
    the fit rules whose points differ from the previous version's (gained or lost: what the score history's fit
    change says moved the score). Materialised as a table: the score history, the marts and their tests read it. -#}
{{ config(materialized='table') }}

with

contact_attributes as (
    select * from {{ ref('int_contact_attributes') }}
),

fit_components as (
    select * from {{ ref('int_contact_fit_components') }}
),

version_pairs as (
    select
        contact_version_id,
        lag(contact_version_id) over (partition by contact_id order by version_number) as previous_version_id
    from contact_attributes
),

-- each rule's points in a version (points) and in the version before it (previous_points), one row per match
rule_points_by_version as (
    select
        version_pairs.contact_version_id,
        fit_components.rule_id,
        fit_components.points,
        0.0 as previous_points
    from version_pairs
    inner join fit_components
        on version_pairs.contact_version_id = fit_components.contact_version_id
    where version_pairs.previous_version_id is not null
    union all
    select
        version_pairs.contact_version_id,
        fit_components.rule_id,
        0.0 as points,
        fit_components.points as previous_points
    from version_pairs
    inner join fit_components
        on version_pairs.previous_version_id = fit_components.contact_version_id
),

changed_rules as (
    select
        contact_version_id,
        rule_id
    from rule_points_by_version
    group by contact_version_id, rule_id
    having sum(points) <> sum(previous_points)
),

changed_rule_lists as (
    select
        contact_version_id,
        {{ sorted_string_agg('rule_id') }} as changed_rule_ids
    from changed_rules
    group by contact_version_id
),

fit_totals as (
    select
        contact_version_id,
        sum(points) as fit_points,
        sum(case when score_family = 'negative' then points else 0 end) as negative_fit_points,
        count(*) as matched_rule_count
    from fit_components
    group by contact_version_id
)

select
    contact_attributes.contact_version_id,
    contact_attributes.contact_id,
    contact_attributes.version_number,
    coalesce(fit_totals.fit_points, 0) as fit_points,
    coalesce(fit_totals.negative_fit_points, 0) as negative_fit_points,
    coalesce(fit_totals.matched_rule_count, 0) as matched_rule_count,
    {{ fit_grade('coalesce(fit_totals.fit_points, 0)') }} as fit_grade,
    contact_attributes.valid_from,
    contact_attributes.valid_to,
    changed_rule_lists.changed_rule_ids
from contact_attributes
left join fit_totals
    on contact_attributes.contact_version_id = fit_totals.contact_version_id
left join changed_rule_lists
    on contact_attributes.contact_version_id = changed_rule_lists.contact_version_id
