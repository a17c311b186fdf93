{#- Threshold sweep: for every MQL setting (minimum fit grade x engagement threshold, or a combined threshold) the
    MQLs of a period, MQL->SQL and MQL->opportunity conversion within a horizon, precision, recall and lift against
    all leads. The same definitions as `mql calibrate` (which adds the time-based training/holdout split,
    bootstrap intervals and a recommendation for a goal):

    - a lead is an MQL of the period when its first MQL under the setting falls in the period, before sales took
      the lead (its first SQL stage or opportunity); who is an MQL when is the warehouse's one definition (macro
      `mql_crossing_candidates`: crossings, qualification at the first instant, fast-track hits, never while
      disqualified), so the count is what a build with that setting makes;
    - it converts when the outcome follows within `calibration_horizon_days`; precision (`mql_precision`) is
      that share for `calibration_outcome` (sql, opportunity or won);
    - recall: of the leads reaching the outcome in the period, the share that qualified within the horizon before;
    - lift: precision over the share of all leads created in the period that reach the outcome within the horizon.

    Score-history rows are point in time (each computed from data up to its instant), so no later event leaks in.
    Run: dbt compile --select threshold_sweep --vars '{calibration_start: "2025-07-01", calibration_end:
    "2026-01-01"}', then run target/compiled/mql_warehouse/analyses/threshold_sweep.sql. -#}
{%- set mode = var('calibration_mode', var('qualification_mode', 'fit_and_engagement')) -%}
{%- set horizon_days = var('calibration_horizon_days', 90) | int -%}
{%- set outcome = var('calibration_outcome', 'opportunity') -%}
{%- set period_start = var('calibration_start', '1900-01-01') -%}
{%- set period_end = var('calibration_end', '2999-12-31') -%}
{%- set step = var('calibration_step', 5) | int -%}
{%- set max_threshold = var('calibration_max_threshold', 200) | int -%}
{%- if outcome not in ['sql', 'opportunity', 'won'] -%}
    {{ exceptions.raise_compiler_error("var calibration_outcome: must be sql, opportunity or won, got '" ~ outcome ~ "'") }}
{%- endif -%}
{%- set grid = mql_threshold_grid(mode, step, max_threshold) -%}

with

score_history as (
    select * from {{ ref('fct_lead_score_history') }}
),

leads as (
    select * from {{ ref('dim_leads') }}
),

stage_history as (
    select * from {{ ref('stg_crm__lead_stage_history') }}
),

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

{{ lead_outcome_ctes() }}

lead_outcomes as (
    select
        leads.contact_id,
        leads.created_at,
        least(sql_stages.stage_sql_at, opportunity_outcomes.opportunity_at) as sql_at,
        opportunity_outcomes.opportunity_at,
        opportunity_outcomes.won_at,
        least(sql_stages.stage_sql_at, opportunity_outcomes.opportunity_at) as handoff_at
    from leads
    left join sql_stages on leads.contact_id = sql_stages.contact_id
    left join opportunity_outcomes on leads.contact_id = opportunity_outcomes.contact_id
),

sweep_settings as (
    {%- for item in grid %}
    select
        '{{ item.setting.setting_id }}' as setting_id,
        '{{ item.grade }}' as min_fit_grade,
        cast({{ item.threshold }} as {{ type_double() }}) as threshold
    {{- '' if loop.last else '\n    union all' }}
    {%- endfor %}
),

crossings as (
    {{ mql_crossing_candidates('score_history', grid | map(attribute='setting') | list) }}
),

first_qualifications as (
    select
        sweep_settings.min_fit_grade,
        sweep_settings.threshold,
        crossings.contact_id,
        min(crossings.scored_at) as qualified_at
    from crossings
    inner join sweep_settings on crossings.setting_id = sweep_settings.setting_id
    where crossings.is_first_in_epoch
    group by sweep_settings.min_fit_grade, sweep_settings.threshold, crossings.contact_id
),

qualified as (
    select
        first_qualifications.min_fit_grade,
        first_qualifications.threshold,
        first_qualifications.contact_id,
        first_qualifications.qualified_at,
        lead_outcomes.sql_at,
        lead_outcomes.opportunity_at,
        lead_outcomes.won_at,
        lead_outcomes.{{ outcome }}_at as target_at,
        {{ dbt.dateadd('day', horizon_days, 'first_qualifications.qualified_at') }} as horizon_end
    from first_qualifications
    inner join lead_outcomes on first_qualifications.contact_id = lead_outcomes.contact_id
    where lead_outcomes.handoff_at is null or first_qualifications.qualified_at <= lead_outcomes.handoff_at
),

period_mqls as (
    select
        min_fit_grade,
        threshold,
        count(*) as mqls,
        count(case when sql_at between qualified_at and horizon_end then 1 end) as converted_sql,
        count(case when opportunity_at between qualified_at and horizon_end then 1 end) as converted_opportunity,
        count(case when won_at between qualified_at and horizon_end then 1 end) as converted_won,
        count(case when target_at between qualified_at and horizon_end then 1 end) as converted
    from qualified
    where
        qualified_at >= cast('{{ period_start }}' as timestamp)
        and qualified_at < cast('{{ period_end }}' as timestamp)
    group by min_fit_grade, threshold
),

recalled as (
    select
        min_fit_grade,
        threshold,
        count(*) as recalled_outcomes
    from qualified
    where
        target_at >= cast('{{ period_start }}' as timestamp)
        and target_at < cast('{{ period_end }}' as timestamp)
        and target_at <= horizon_end
    group by min_fit_grade, threshold
),

period_outcomes as (
    select
        count(
            case
                when
                    {{ outcome }}_at >= cast('{{ period_start }}' as timestamp)
                    and {{ outcome }}_at < cast('{{ period_end }}' as timestamp)
                    then 1
            end
        ) as outcomes_in_period,
        count(
            case
                when
                    created_at >= cast('{{ period_start }}' as timestamp)
                    and created_at < cast('{{ period_end }}' as timestamp)
                    then 1
            end
        ) as leads_created,
        count(
            case
                when
                    created_at >= cast('{{ period_start }}' as timestamp)
                    and created_at < cast('{{ period_end }}' as timestamp)
                    and {{ outcome }}_at <= {{ dbt.dateadd('day', horizon_days, 'created_at') }}
                    then 1
            end
        ) as leads_converted,
        {{ dbt.datediff(
            "greatest(cast('" ~ period_start ~ "' as timestamp), min(created_at))",
            "least(cast('" ~ period_end ~ "' as timestamp), max(created_at))",
            'day'
        ) }} as period_days
    from lead_outcomes
)

select
    period_mqls.min_fit_grade,
    period_mqls.threshold,
    period_mqls.mqls,
    period_mqls.mqls * 30.4375 / nullif(period_outcomes.period_days, 0) as mqls_per_month,
    period_mqls.converted_sql * 1.0 / nullif(period_mqls.mqls, 0) as mql_to_sql,
    period_mqls.converted_opportunity * 1.0 / nullif(period_mqls.mqls, 0) as mql_to_opportunity,
    period_mqls.converted_won * 1.0 / nullif(period_mqls.mqls, 0) as mql_to_won,
    period_mqls.converted * 1.0 / nullif(period_mqls.mqls, 0) as mql_precision,
    coalesce(recalled.recalled_outcomes, 0) * 1.0 / nullif(period_outcomes.outcomes_in_period, 0) as recall,
    (period_mqls.converted * 1.0 / nullif(period_mqls.mqls, 0))
    / nullif(period_outcomes.leads_converted * 1.0 / nullif(period_outcomes.leads_created, 0), 0) as lift
from period_mqls
cross join period_outcomes
left join recalled
    on period_mqls.min_fit_grade = recalled.min_fit_grade and period_mqls.threshold = recalled.threshold
order by period_mqls.min_fit_grade, period_mqls.threshold
