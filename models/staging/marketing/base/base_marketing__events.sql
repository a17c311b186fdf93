{#- Every raw behavioural event, typed and mapped (`event_type_map`, `page_categories`), with the reason it is
    rejected or removed as a duplicate (null when kept). Rules, in order: invalid event id, unknown contact (no
    usable contact with that id), unknown event type, unparseable timestamp, timestamp before
    `timestamp_floor` or later than the load plus `future_tolerance_hours`; then exact copies and conflicting rows with the same event id (last loaded wins).
    Events of a merged duplicate contact are moved to the surviving contact.

    Incremental (`macros/incremental/contact_changes.sql`): a build reprocesses the raw rows loaded since the
    previous one, every older row sharing an event id with them (which copy wins is decided across loads) and the
    rows of contacts whose email group changed (their events move to another contact or stop being unknown);
    `delete+insert` on the raw row's identity replaces their previous classification. -#}
{{ config(
    materialized=event_volume_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['_source_file', '_source_row'],
    on_schema_change='fail',
) }}
{#- a map row naming an unknown event type fails compilation naming the row (event_type_map_rows) -#}
{%- do event_type_map_rows() %}
-- depends_on: {{ ref('event_types') }}

with

source as (
    {{ raw_events_to_reprocess(this, incremental_watermark(this) if is_incremental() else none) }}
),

contact_map as (
    select * from {{ ref('stg_crm__contact_map') }}
),

event_types as (
    select * from {{ ref('event_type_map') }}
),

page_categories as (
    select * from {{ ref('page_categories') }}
),

typed as (
    select
        trim(source.event_id) as event_id,
        contact_map.canonical_contact_id as contact_id,
        {{ clean_text('source.campaign_id') }} as campaign_id,
        event_types.event_type,
        {{ clean_text('source.url') }} as url,
        lower(
            coalesce({{ regexp_extract('source.url', '^(?:[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*)?/([^/?#]+)') }}, '/')
        ) as path_segment,
        {{ clean_text('source.asset_name') }} as asset_name,
        {{ try_cast(clean_text('source.duration_seconds'), api.Column.translate_type('bigint')) }}
            as duration_seconds,
        {{ json_object_or_null(clean_text('source.properties')) }} as properties,
        {{ parse_timestamp_utc('source.occurred_at') }} as occurred_at,
        {{ raw_row_lineage('source', 'marketing', 'events') }}
    from source
    left join contact_map
        on trim(source.contact_id) = contact_map.contact_id
    left join event_types
        on {{ lookup_key('source.event_type') }} = event_types.raw_event_type
),

validated as (
    select
        typed.*,
        case
            when not {{ is_valid_id('typed.event_id') }} then 'invalid_id'
            when typed.contact_id is null then 'unknown_contact'
            when typed.event_type is null then 'unknown_event_type'
            when typed.occurred_at is null then 'invalid_timestamp'
            when {{ is_before_floor('typed.occurred_at') }} then 'timestamp_before_floor'
            when {{ is_future_dated('typed.occurred_at', 'typed._loaded_at') }} then 'future_timestamp'
        end as rejection_reason
    from typed
),

classified as (
    {{ classify_duplicates('validated', ['event_id'], '_loaded_at desc', 'duplicate_id') }}
)

select
    classified.event_id,
    classified.contact_id,
    classified.campaign_id,
    classified.event_type,
    case
        when classified.url is not null then coalesce(page_categories.page_category, 'other')
    end as page_category,
    classified.url,
    classified.asset_name,
    case when classified.duration_seconds >= 0 then classified.duration_seconds end as duration_seconds,
    classified.properties,
    classified.occurred_at,
    classified.rejection_reason,
    classified.duplicate_reason,
    classified._loaded_at,
    classified._source_file,
    classified._source_row,
    {{ incremental_state_columns(from_source=true) }}
from classified
left join page_categories
    on classified.path_segment = page_categories.path_segment
