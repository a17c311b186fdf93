{#- Every raw opportunity row, typed and mapped (`opportunity_stage_map`), with the reason it is rejected or removed
    as a duplicate (null when kept). Rules: invalid id, unknown stage, unparseable `created_at`/`updated_at`, either out of range (before `timestamp_floor`, or after the load plus `future_tolerance_hours`),
    negative amount; then exact copies and older versions (latest `updated_at` wins). The primary contact is
    resolved to its canonical id; an unknown primary contact is kept as null (the deal still counts for its account). -#}

with

source as (
    select * from {{ source('crm', 'opportunities') }}
),

contact_map as (
    select * from {{ ref('stg_crm__contact_map') }}
),

stages as (
    select * from {{ ref('opportunity_stage_map') }}
),

typed as (
    select
        trim(source.opportunity_id) as opportunity_id,
        {{ clean_text('source.account_id') }} as account_id,
        contact_map.canonical_contact_id as primary_contact_id,
        {{ clean_text('source.owner_id') }} as owner_id,
        {{ clean_text('source.opportunity_name') }} as opportunity_name,
        {{ try_cast(clean_text('source.amount'), type_double()) }} as amount_usd,
        stages.opportunity_stage,
        {{ clean_text('source.stage') }} as stage_raw,
        stages.is_closed,
        coalesce({{ parse_boolean('source.is_won') }}, stages.is_won) as is_won,
        {{ parse_timestamp_utc('source.created_at') }} as created_at,
        {{ parse_timestamp_utc('source.closed_at') }} as closed_at,
        {{ parse_timestamp_utc('source.updated_at') }} as updated_at,
        {{ raw_row_lineage('source', 'crm', 'opportunities') }}
    from source
    left join contact_map
        on trim(source.primary_contact_id) = contact_map.contact_id
    left join stages
        on {{ lookup_key('source.stage') }} = stages.raw_stage
),

validated as (
    select
        typed.*,
        case
            when not {{ is_valid_id('typed.opportunity_id') }} then 'invalid_id'
            when typed.opportunity_stage is null then 'unknown_stage'
            when typed.created_at is null or typed.updated_at is null then 'invalid_timestamp'
            when {{ is_before_floor(['typed.created_at', 'typed.updated_at']) }} then 'timestamp_before_floor'
            when {{ is_future_dated(['typed.created_at', 'typed.updated_at'], 'typed._loaded_at') }}
                then 'future_timestamp'
            when typed.amount_usd < 0 then 'negative_amount'
        end as rejection_reason
    from typed
),

classified as (
    {{ classify_duplicates('validated', ['opportunity_id'], 'updated_at desc, _loaded_at desc', 'superseded_version') }}
)

select
    opportunity_id,
    account_id,
    primary_contact_id,
    owner_id,
    opportunity_name,
    amount_usd,
    opportunity_stage,
    stage_raw,
    is_closed,
    is_won and is_closed as is_won,
    created_at,
    case when is_closed then closed_at end as closed_at,
    updated_at,
    rejection_reason,
    duplicate_reason,
    _loaded_at,
    _source_file,
    _source_row
from classified
