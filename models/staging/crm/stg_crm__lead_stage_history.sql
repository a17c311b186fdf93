with

stage_changes as (
    select * from {{ ref('base_crm__lead_stage_history') }}
    where rejection_reason is null and duplicate_reason is null
)

select
    stage_change_id,
    contact_id,
    changed_by_owner_id,
    lead_stage,
    stage_raw,
    reason,
    changed_at,
    _loaded_at as loaded_at
from stage_changes
