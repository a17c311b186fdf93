with

campaigns as (
    select * from {{ ref('base_marketing__campaigns') }}
    where rejection_reason is null and duplicate_reason is null
)

select
    campaign_id,
    campaign_name,
    channel,
    start_date,
    end_date,
    updated_at,
    _loaded_at as loaded_at
from campaigns
