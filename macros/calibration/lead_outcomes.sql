{#- The two outcome CTEs the calibration analyses share, to be placed after import CTEs `stage_history`
    (`stg_crm__lead_stage_history`) and `opportunities` (`stg_crm__opportunities`):
      - `sql_stages`: each contact's first recorded sales-accepted or sales-qualified stage (`stage_sql_at`);
      - `opportunity_outcomes`: each primary contact's first opportunity (`opportunity_at`) and first won one
        (`won_at`, its close time, else its creation time). -#}
{% macro lead_outcome_ctes() -%}
sql_stages as (
    select
        contact_id,
        min(changed_at) as stage_sql_at
    from stage_history
    where lead_stage in ('sales_accepted', 'sales_qualified')
    group by contact_id
),

opportunity_outcomes as (
    select
        primary_contact_id as contact_id,
        min(created_at) as opportunity_at,
        min(case when is_won then coalesce(closed_at, created_at) end) as won_at
    from opportunities
    where primary_contact_id is not null
    group by primary_contact_id
),
{%- endmacro %}
