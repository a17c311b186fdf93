{#- Within a lead cohort, leads >= MQLs >= SQLs >= opportunities >= customers; within a month's stage cohorts, the
    MQLs (SQLs) that converted never exceed the MQLs (SQLs). Returns the offending rows. -#}

with

cohorts as (
    select * from {{ ref('fct_funnel_lead_cohorts') }}
),

monthly as (
    select * from {{ ref('fct_funnel_monthly') }}
)

select
    lead_cohort_id as row_id,
    'lead cohort' as funnel
from cohorts
where not (leads >= mqls and mqls >= sqls and sqls >= opportunities and opportunities >= customers)

union all

select
    funnel_month_id as row_id,
    'monthly lead_stage cohort' as funnel
from monthly
where not (mqls >= mqls_converted_to_sql and sqls >= sqls_converted_to_opportunity)
