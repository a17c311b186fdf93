{#- Nothing is lost between the sources and the monthly funnel: total spend equals staged spend (up to the
    reference time), pipeline equals the opportunities' amount, won revenue the won deals' amount, and leads
    created the leads. Returns one row per broken equality. -#}

with

monthly as (
    select
        sum(spend_usd) as spend_usd,
        sum(pipeline_usd) as pipeline_usd,
        sum(won_revenue_usd) as won_revenue_usd,
        sum(leads_created) as leads_created
    from {{ ref('fct_funnel_monthly') }}
),

spend as (
    select coalesce(sum(cast(amount_usd as {{ type_double() }})), 0) as spend_usd from {{ ref('stg_marketing__marketing_spend') }}
    where {{ as_of_filter('spend_date') }}
),

opportunities as (
    select
        coalesce(sum(amount_usd), 0) as pipeline_usd,
        coalesce(sum(won_amount_usd), 0) as won_revenue_usd
    from {{ ref('fct_opportunity_attribution') }}
),

leads as (
    select count(*) as leads_created from {{ ref('dim_leads') }}
),

checks as (
    select
        'spend' as check_name,
        monthly.spend_usd as funnel_value,
        spend.spend_usd as source_value
    from monthly
    cross join spend

    union all

    select
        'pipeline' as check_name,
        monthly.pipeline_usd as funnel_value,
        opportunities.pipeline_usd as source_value
    from monthly
    cross join opportunities

    union all

    select
        'won revenue' as check_name,
        monthly.won_revenue_usd as funnel_value,
        opportunities.won_revenue_usd as source_value
    from monthly
    cross join opportunities

    union all

    select
        'leads' as check_name,
        monthly.leads_created as funnel_value,
        leads.leads_created as source_value
    from monthly
    cross join leads
)

select
    check_name,
    funnel_value,
    source_value
from checks
where abs(coalesce(funnel_value, 0) - source_value) > 0.005
