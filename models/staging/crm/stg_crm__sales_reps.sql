with

sales_reps as (
    select * from {{ ref('base_crm__sales_reps') }}
    where rejection_reason is null and duplicate_reason is null
)

select
    owner_id,
    full_name,
    email,
    team,
    region,
    is_active,
    updated_at,
    _loaded_at as loaded_at
from sales_reps
