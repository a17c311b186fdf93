with

opportunities as (
    select * from {{ ref('base_crm__opportunities') }}
    where rejection_reason is null and duplicate_reason is null
)

select
    opportunity_id,
    account_id,
    primary_contact_id,
    owner_id,
    opportunity_name,
    amount_usd,
    opportunity_stage,
    is_closed,
    is_won,
    created_at,
    closed_at,
    updated_at,
    _loaded_at as loaded_at
from opportunities
