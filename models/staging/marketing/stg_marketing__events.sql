with

events as (
    select * from {{ ref('base_marketing__events') }}
    where rejection_reason is null and duplicate_reason is null
)

select
    event_id,
    contact_id,
    campaign_id,
    event_type,
    page_category,
    url,
    asset_name,
    duration_seconds,
    properties,
    occurred_at,
    _loaded_at as loaded_at,
    _batch_loaded_at
from events
