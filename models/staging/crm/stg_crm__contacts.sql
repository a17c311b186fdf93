with

contacts as (
    select * from {{ ref('base_crm__contacts') }}
    where rejection_reason is null and duplicate_reason is null
)

select
    contact_id,
    account_id,
    owner_id,
    original_campaign_id,
    email,
    email_domain,
    first_name,
    last_name,
    job_title,
    company_name,
    country_code,
    country_name,
    region,
    lead_source_channel,
    has_budget_authority,
    custom_attributes,
    is_personal_email,
    created_at,
    updated_at,
    _loaded_at as loaded_at
from contacts
