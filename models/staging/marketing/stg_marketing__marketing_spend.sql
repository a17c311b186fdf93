with

spend as (
    select * from {{ ref('base_marketing__marketing_spend') }}
    where rejection_reason is null and duplicate_reason is null
)

select
    spend_id,
    spend_date,
    channel,
    campaign_id,
    amount_usd,
    _loaded_at as loaded_at
from spend
