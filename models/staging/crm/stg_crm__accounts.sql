with

accounts as (
    select * from {{ ref('base_crm__accounts') }}
    where rejection_reason is null and duplicate_reason is null
)

select
    account_id,
    owner_id,
    account_name,
    website_domain,
    industry,
    employee_count,
    annual_revenue_usd,
    country_code,
    country_name,
    region,
    custom_attributes,
    created_at,
    updated_at,
    _loaded_at as loaded_at
from accounts
