{#- Every raw campaign row, typed and mapped (`channel_map`), with the reason it is rejected or removed as a
    duplicate (null when kept). Rules: invalid id, missing name, unparseable `updated_at`, `updated_at` out of range (before `timestamp_floor`, or after the load plus `future_tolerance_hours`); then exact copies and
    older versions (latest `updated_at` wins). An unlisted channel spelling becomes `other`. -#}

with

source as (
    select * from {{ source('marketing', 'campaigns') }}
),

channels as (
    select * from {{ ref('channel_map') }}
),

typed as (
    select
        trim(source.campaign_id) as campaign_id,
        {{ clean_text('source.campaign_name') }} as campaign_name,
        coalesce(channels.channel, 'other') as channel,
        {{ clean_text('source.channel') }} as channel_raw,
        {{ parse_date('source.start_date') }} as start_date,
        {{ parse_date('source.end_date') }} as end_date,
        {{ parse_timestamp_utc('source.updated_at') }} as updated_at,
        {{ raw_row_lineage('source', 'marketing', 'campaigns') }}
    from source
    left join channels
        on {{ lookup_key('source.channel') }} = channels.raw_channel
),

validated as (
    select
        typed.*,
        case
            when not {{ is_valid_id('typed.campaign_id') }} then 'invalid_id'
            when typed.campaign_name is null then 'missing_name'
            when typed.updated_at is null then 'invalid_timestamp'
            when {{ is_before_floor('typed.updated_at') }} then 'timestamp_before_floor'
            when {{ is_future_dated('typed.updated_at', 'typed._loaded_at') }} then 'future_timestamp'
        end as rejection_reason
    from typed
),

classified as (
    {{ classify_duplicates('validated', ['campaign_id'], 'updated_at desc, _loaded_at desc', 'superseded_version') }}
)

select
    campaign_id,
    campaign_name,
    channel,
    channel_raw,
    start_date,
    end_date,
    updated_at,
    rejection_reason,
    duplicate_reason,
    _loaded_at,
    _source_file,
    _source_row
from classified
