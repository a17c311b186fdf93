{#- Every raw sales-rep row, typed, with the reason it is rejected or removed as a duplicate (null when kept).
    Rules: invalid id, unparseable `updated_at`, `updated_at`
    before `timestamp_floor` or after the load plus `future_tolerance_hours`; then exact copies and older versions (latest `updated_at` wins). -#}

with

source as (
    select * from {{ source('crm', 'sales_reps') }}
),

typed as (
    select
        trim(source.owner_id) as owner_id,
        {{ clean_text('source.full_name') }} as full_name,
        lower({{ clean_text('source.email') }}) as email,
        {{ clean_text('source.team') }} as team,
        {{ clean_text('source.region') }} as region,
        coalesce({{ parse_boolean('source.is_active') }}, true) as is_active,
        {{ parse_timestamp_utc('source.updated_at') }} as updated_at,
        {{ raw_row_lineage('source', 'crm', 'sales_reps') }}
    from source
),

validated as (
    select
        typed.*,
        case
            when not {{ is_valid_id('typed.owner_id') }} then 'invalid_id'
            when typed.updated_at is null then 'invalid_timestamp'
            when {{ is_before_floor('typed.updated_at') }} then 'timestamp_before_floor'
            when {{ is_future_dated('typed.updated_at', 'typed._loaded_at') }} then 'future_timestamp'
        end as rejection_reason
    from typed
),

classified as (
    {{ classify_duplicates('validated', ['owner_id'], 'updated_at desc, _loaded_at desc', 'superseded_version') }}
)

select
    owner_id,
    full_name,
    email,
    team,
    region,
    is_active,
    updated_at,
    rejection_reason,
    duplicate_reason,
    _loaded_at,
    _source_file,
    _source_row
from classified
