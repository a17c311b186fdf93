{#- One row per contact version: its fit points (positive fit rules plus negative attribute rules), the negative
    part, and the fit grade, valid from `valid_from` (null for the first version: all earlier time) to `valid_to`.
    Materialised as a table: the score history, the marts and their tests read it. -#}
{{ config(materialized='table') }}

with

contact_attributes as (
    select * from {{ ref('int_contact_attributes') }}
),

fit_components as (
    select * from {{ ref('int_contact_fit_components') }}
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
    contact_attributes.valid_to
from contact_attributes
left join fit_totals
    on contact_attributes.contact_version_id = fit_totals.contact_version_id
