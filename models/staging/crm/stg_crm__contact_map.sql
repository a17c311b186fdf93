with

contact_versions as (
    select * from {{ ref('base_crm__contacts') }}
    where rejection_reason is null and version_number = 1
)

select
    contact_id,
    canonical_contact_id,
    contact_id <> canonical_contact_id as is_merged,
    case when contact_id <> canonical_contact_id then duplicate_reason end as merge_reason
from contact_versions
