{#- One row per month, channel and campaign of the opportunities' leads (`unknown` channel, null campaign when an
    opportunity has no lead) with pipeline activity: opportunities created in the month and their amount (total,
    MQL-sourced, MQL-influenced), and deals won in the month (closed month) and their revenue. -#}

with

opportunities as (
    select * from {{ ref('fct_opportunity_attribution') }}
),

pipeline_events as (
    select
        created_month as funnel_month,
        lead_source_channel as channel,
        original_campaign_id as campaign_id,
        1 as opportunities_created,
        amount_usd as pipeline_usd,
        mql_sourced_amount_usd as mql_sourced_pipeline_usd,
        mql_influenced_amount_usd as mql_influenced_pipeline_usd,
        0 as deals_won,
        0.0 as won_revenue_usd,
        0.0 as mql_sourced_won_revenue_usd,
        0.0 as mql_influenced_won_revenue_usd
    from opportunities

    union all

    select
        closed_month as funnel_month,
        lead_source_channel as channel,
        original_campaign_id as campaign_id,
        0 as opportunities_created,
        0.0 as pipeline_usd,
        0.0 as mql_sourced_pipeline_usd,
        0.0 as mql_influenced_pipeline_usd,
        1 as deals_won,
        won_amount_usd as won_revenue_usd,
        case when is_mql_sourced then won_amount_usd else 0.0 end as mql_sourced_won_revenue_usd,
        case when is_mql_influenced then won_amount_usd else 0.0 end as mql_influenced_won_revenue_usd
    from opportunities
    where is_won
)

select
    cast(funnel_month as {{ dbt.type_string() }}) || ':' || channel || ':' || coalesce(campaign_id, '(none)')
        as pipeline_month_id,
    funnel_month,
    channel,
    campaign_id,
    cast(sum(opportunities_created) as integer) as opportunities_created,
    cast(sum(pipeline_usd) as {{ type_double() }}) as pipeline_usd,
    cast(sum(mql_sourced_pipeline_usd) as {{ type_double() }}) as mql_sourced_pipeline_usd,
    cast(sum(mql_influenced_pipeline_usd) as {{ type_double() }}) as mql_influenced_pipeline_usd,
    cast(sum(deals_won) as integer) as deals_won,
    cast(sum(won_revenue_usd) as {{ type_double() }}) as won_revenue_usd,
    cast(sum(mql_sourced_won_revenue_usd) as {{ type_double() }}) as mql_sourced_won_revenue_usd,
    cast(sum(mql_influenced_won_revenue_usd) as {{ type_double() }}) as mql_influenced_won_revenue_usd
from pipeline_events
group by funnel_month, channel, campaign_id
