{#- Every raw lead-stage change, typed and mapped (`crm_stage_map`), with the reason it is rejected or removed as a
    duplicate (null when kept). Rules: invalid id, unknown contact, unknown stage name, unparseable timestamp, timestamp out of range (before `timestamp_floor`, or after the load plus `future_tolerance_hours`);
    then exact copies and conflicting rows with the same id (the last loaded wins). Contacts are resolved to their
    canonical id first, so a change logged on a merged duplicate lands on the surviving contact. -#}

with

source as (
    select * from {{ source('crm', 'lead_stage_history') }}
),

contact_map as (
    select * from {{ ref('stg_crm__contact_map') }}
),

stages as (
    select * from {{ ref('crm_stage_map') }}
),

typed as (
    select
        trim(source.stage_change_id) as stage_change_id,
        contact_map.canonical_contact_id as contact_id,
        {{ clean_text('source.changed_by_owner_id') }} as changed_by_owner_id,
        stages.lead_stage,
        {{ clean_text('source.stage') }} as stage_raw,
        {{ clean_text('source.reason') }} as reason,
        {{ parse_timestamp_utc('source.changed_at') }} as changed_at,
        {{ raw_row_lineage('source', 'crm', 'lead_stage_history') }}
    from source
    left join contact_map
        on trim(source.contact_id) = contact_map.contact_id
    left join stages
        on {{ lookup_key('source.stage') }} = stages.raw_stage
),

validated as (
    select
        typed.*,
        case
            when not {{ is_valid_id('typed.stage_change_id') }} then 'invalid_id'
            when typed.contact_id is null then 'unknown_contact'
            when typed.lead_stage is null then 'unknown_stage'
            when typed.changed_at is null then 'invalid_timestamp'
            when {{ is_before_floor('typed.changed_at') }} then 'timestamp_before_floor'
            when {{ is_future_dated('typed.changed_at', 'typed._loaded_at') }} then 'future_timestamp'
        end as rejection_reason
    from typed
),

classified as (
    {{ classify_duplicates('validated', ['stage_change_id'], '_loaded_at desc', 'duplicate_id') }}
)

select
    stage_change_id,
    contact_id,
    changed_by_owner_id,
    lead_stage,
    stage_raw,
    reason,
    changed_at,
    rejection_reason,
    duplicate_reason,
    _loaded_at,
    _source_file,
    _source_row
from classified
