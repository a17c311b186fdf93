with

activities as (
    select * from {{ ref('base_crm__sales_activities') }}
    where rejection_reason is null and duplicate_reason is null
)

select
    activity_id,
    contact_id,
    owner_id,
    activity_type,
    occurred_at,
    _loaded_at as loaded_at
from activities
