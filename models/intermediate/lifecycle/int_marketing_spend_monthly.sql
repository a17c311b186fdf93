{#- One row per month, channel and campaign with marketing spend: the spend in USD. Spend without a campaign is
    kept under a null campaign. With var as_of, later spend days are ignored. -#}

with

spend as (
    select * from {{ ref('stg_marketing__marketing_spend') }}
    where {{ as_of_filter('spend_date') }}
),

monthly as (
    select
        cast({{ dbt.date_trunc('month', 'spend_date') }} as date) as funnel_month,
        coalesce(channel, 'unknown') as channel,
        campaign_id,
        sum(cast(amount_usd as {{ type_double() }})) as spend_usd,
        count(*) as spend_rows
    from spend
    group by 1, 2, 3
)

select
    cast(funnel_month as {{ dbt.type_string() }}) || ':' || channel || ':' || coalesce(campaign_id, '(none)')
        as spend_month_id,
    funnel_month,
    channel,
    campaign_id,
    spend_usd,
    cast(spend_rows as bigint) as spend_rows
from monthly
