{#- Every raw sales activity, typed and mapped (`activity_type_map`), with the reason it is rejected or removed as
    a duplicate (null when kept). Rules: invalid id, unknown contact, missing owner, unknown activity type,
    unparseable timestamp, timestamp out of range (before `timestamp_floor`, or after the load plus `future_tolerance_hours`); then exact copies and conflicting rows with the same id (last loaded wins). -#}

with

source as (
    select * from {{ source('crm', 'sales_activities') }}
),

contact_map as (
    select * from {{ ref('stg_crm__contact_map') }}
),

activity_types as (
    select * from {{ ref('activity_type_map') }}
),

typed as (
    select
        trim(source.activity_id) as activity_id,
        contact_map.canonical_contact_id as contact_id,
        {{ clean_text('source.owner_id') }} as owner_id,
        activity_types.activity_type,
        {{ parse_timestamp_utc('source.occurred_at') }} as occurred_at,
        {{ raw_row_lineage('source', 'crm', 'sales_activities') }}
    from source
    left join contact_map
        on trim(source.contact_id) = contact_map.contact_id
    left join activity_types
        on {{ lookup_key('source.activity_type') }} = activity_types.raw_activity_type
),

validated as (
    select
        typed.*,
        case
            when not {{ is_valid_id('typed.activity_id') }} then 'invalid_id'
            when typed.contact_id is null then 'unknown_contact'
            when typed.owner_id is null then 'missing_owner'
            when typed.activity_type is null then 'unknown_activity_type'
            when typed.occurred_at is null then 'invalid_timestamp'
            when {{ is_before_floor('typed.occurred_at') }} then 'timestamp_before_floor'
            when {{ is_future_dated('typed.occurred_at', 'typed._loaded_at') }} then 'future_timestamp'
        end as rejection_reason
    from typed
),

classified as (
    {{ classify_duplicates('validated', ['activity_id'], '_loaded_at desc', 'duplicate_id') }}
)

select
    activity_id,
    contact_id,
    owner_id,
    activity_type,
    occurred_at,
    rejection_reason,
    duplicate_reason,
    _loaded_at,
    _source_file,
    _source_row
from classified
