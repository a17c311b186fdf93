{#- Every raw daily spend row, typed and mapped (`channel_map`), with the reason it is rejected or removed as a
    duplicate (null when kept). Rules: unparseable date, date out of range (before `timestamp_floor`, or after the load plus `future_tolerance_hours`), unparseable amount, negative amount, a currency other than
    USD; then exact copies and conflicting rows for the same day, channel and campaign (last loaded wins). -#}

with

source as (
    select * from {{ source('marketing', 'marketing_spend') }}
),

channels as (
    select * from {{ ref('channel_map') }}
),

typed as (
    select
        {{ parse_date('source.spend_date') }} as spend_date,
        coalesce(channels.channel, 'other') as channel,
        {{ clean_text('source.campaign_id') }} as campaign_id,
        {{ try_cast(clean_text('source.amount'), type_double()) }} as amount_usd,
        upper(coalesce({{ clean_text('source.currency') }}, 'USD')) as currency,
        {{ raw_row_lineage('source', 'marketing', 'marketing_spend') }}
    from source
    left join channels
        on {{ lookup_key('source.channel') }} = channels.raw_channel
),

validated as (
    select
        typed.*,
        {{ dbt.hash(dbt.concat([
            "cast(typed.spend_date as " ~ dbt.type_string() ~ ")", "'|'", "typed.channel", "'|'",
            "coalesce(typed.campaign_id, '')",
        ])) }} as spend_id,
        case
            when typed.spend_date is null then 'invalid_date'
            when {{ is_before_floor('typed.spend_date') }} then 'timestamp_before_floor'
            when {{ is_future_dated('typed.spend_date', 'typed._loaded_at') }} then 'future_timestamp'
            when typed.amount_usd is null then 'invalid_amount'
            when typed.amount_usd < 0 then 'negative_amount'
            when typed.currency <> 'USD' then 'unsupported_currency'
        end as rejection_reason
    from typed
),

classified as (
    {{ classify_duplicates('validated', ['spend_id'], '_loaded_at desc', 'duplicate_key') }}
)

select
    spend_id,
    spend_date,
    channel,
    campaign_id,
    amount_usd,
    rejection_reason,
    duplicate_reason,
    _loaded_at,
    _source_file,
    _source_row
from classified
