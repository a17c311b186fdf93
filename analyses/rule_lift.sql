{#- Rule and attribute lift at the build's reference time: for every scoring rule (engagement_rules, fit_rules)
    and every value of the lead attributes, among the leads that were still marketing leads then (not yet taken
    by sales): how many it applies to (coverage), their conversion to `calibration_outcome` (sql, opportunity or
    won) within `calibration_horizon_days` after the reference time, the conversion of the others, and the lift
    (conversion with it over the overall conversion).

    Point in time: build with --vars '{as_of: "2025-09-30 00:00:00"}' first, so every score is the score at that
    instant; the outcomes come from staging, which is not cut, so they are what happened next. `mql calibrate
    --rules` does this over several instants and fits points with a logistic regression.
    Run: dbt compile --select rule_lift (with the same --vars), then run
    target/compiled/mql_warehouse/analyses/rule_lift.sql. -#}
{%- set horizon_days = var('calibration_horizon_days', 90) | int -%}
{%- set outcome = var('calibration_outcome', 'opportunity') -%}
{%- if outcome not in ['sql', 'opportunity', 'won'] -%}
    {{ exceptions.raise_compiler_error("var calibration_outcome: must be sql, opportunity or won, got '" ~ outcome ~ "'") }}
{%- endif -%}
{%- set attributes = ['seniority', 'job_function', 'industry', 'company_size_band', 'region', 'email_type',
                      'lead_source_channel'] -%}

with

leads as (
    select * from {{ ref('dim_leads') }}
),

components as (
    select * from {{ ref('fct_lead_score_components') }}
),

engagement_rules as (
    select * from {{ ref('engagement_rules') }}
),

fit_rules as (
    select * from {{ ref('fit_rules') }}
),

stage_history as (
    select * from {{ ref('stg_crm__lead_stage_history') }}
),

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

{{ lead_outcome_ctes() }}

open_leads as (
    select
        leads.*,
        case
            when
                least(sql_stages.stage_sql_at, opportunity_outcomes.opportunity_at) > leads.scored_at
                and least(sql_stages.stage_sql_at, opportunity_outcomes.opportunity_at)
                <= {{ dbt.dateadd('day', horizon_days, 'leads.scored_at') }}
                and '{{ outcome }}' = 'sql'
                then 1
            when
                opportunity_outcomes.opportunity_at > leads.scored_at
                and opportunity_outcomes.opportunity_at <= {{ dbt.dateadd('day', horizon_days, 'leads.scored_at') }}
                and '{{ outcome }}' = 'opportunity'
                then 1
            when
                opportunity_outcomes.won_at > leads.scored_at
                and opportunity_outcomes.won_at <= {{ dbt.dateadd('day', horizon_days, 'leads.scored_at') }}
                and '{{ outcome }}' = 'won'
                then 1
            else 0
        end as converted
    from leads
    left join sql_stages on leads.contact_id = sql_stages.contact_id
    left join opportunity_outcomes on leads.contact_id = opportunity_outcomes.contact_id
    where
        least(sql_stages.stage_sql_at, opportunity_outcomes.opportunity_at) is null
        or least(sql_stages.stage_sql_at, opportunity_outcomes.opportunity_at) > leads.scored_at
),

overall as (
    select
        count(*) as leads,
        sum(converted) as converted
    from open_leads
),

rules as (
    select
        rule_id,
        score_family,
        points,
        description
    from engagement_rules
    union all
    select
        rule_id,
        score_family,
        points,
        description
    from fit_rules
),

rule_hits as (
    select
        components.rule_id,
        count(*) as leads_with,
        sum(open_leads.converted) as converted_with
    from components
    inner join open_leads on components.contact_id = open_leads.contact_id
    where components.scored_points <> 0
    group by components.rule_id
),

rule_lift as (
    select
        'rule' as lift_kind,
        rules.rule_id as item,
        rules.score_family as detail,
        rules.points as current_points,
        coalesce(rule_hits.leads_with, 0) as leads_with,
        coalesce(rule_hits.converted_with, 0) as converted_with
    from rules
    left join rule_hits on rules.rule_id = rule_hits.rule_id
),

attribute_values as (
    {%- for attribute in attributes %}
    select
        '{{ attribute }}' as attribute,
        coalesce(cast({{ attribute }} as {{ dbt.type_string() }}), '(none)') as attribute_value,
        converted
    from open_leads
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

attribute_lift as (
    select
        'attribute' as lift_kind,
        attribute_values.attribute || ' = ' || attribute_values.attribute_value as item,
        min(fit_rules.rule_id) as detail,
        sum(fit_rules.points) / nullif(count(*), 0) as current_points,
        count(*) as leads_with,
        sum(attribute_values.converted) as converted_with
    from attribute_values
    left join fit_rules
        on
            attribute_values.attribute = fit_rules.attribute
            and attribute_values.attribute_value = fit_rules.attribute_value
    group by attribute_values.attribute, attribute_values.attribute_value
),

all_lift as (
    select * from rule_lift
    union all
    select * from attribute_lift
)

select
    all_lift.lift_kind,
    all_lift.item,
    all_lift.detail,
    all_lift.current_points,
    all_lift.leads_with,
    all_lift.leads_with * 1.0 / nullif(overall.leads, 0) as coverage,
    all_lift.converted_with * 1.0 / nullif(all_lift.leads_with, 0) as conversion_with,
    (overall.converted - all_lift.converted_with) * 1.0 / nullif(overall.leads - all_lift.leads_with, 0)
        as conversion_without,
    (all_lift.converted_with * 1.0 / nullif(all_lift.leads_with, 0))
    / nullif(overall.converted * 1.0 / nullif(overall.leads, 0), 0) as lift
from all_lift
cross join overall
order by all_lift.lift_kind desc, lift desc nulls last, all_lift.item asc
