{#- Every raw account row, typed, with the reason it is rejected or removed as a duplicate (null when kept).
    Rules: invalid id, missing name, unparseable timestamps, timestamps out of range (before `timestamp_floor`, or after the load plus `future_tolerance_hours`); then exact copies and older versions (latest
    `updated_at` wins). An employee count or revenue that is not a number becomes null (the row is kept). -#}

with

source as (
    select * from {{ source('crm', 'accounts') }}
),

countries as (
    select * from {{ ref('country_map') }}
),

typed as (
    select
        trim(source.account_id) as account_id,
        {{ clean_text('source.owner_id') }} as owner_id,
        {{ clean_text('source.account_name') }} as account_name,
        lower({{ clean_text('source.website_domain') }}) as website_domain,
        {{ lookup_key('source.industry') }} as industry,
        {{ try_cast(clean_text('source.employee_count'), api.Column.translate_type('bigint')) }}
            as employee_count,
        {{ try_cast(clean_text('source.annual_revenue'), type_double()) }}
            as annual_revenue_usd,
        {{ clean_text('source.country') }} as country_raw,
        {{ json_object_or_null(clean_text('source.custom_attributes')) }} as custom_attributes,
        {{ parse_timestamp_utc('source.created_at') }} as created_at,
        {{ parse_timestamp_utc('source.updated_at') }} as updated_at,
        {{ raw_row_lineage('source', 'crm', 'accounts') }}
    from source
),

validated as (
    select
        typed.*,
        case
            when not {{ is_valid_id('typed.account_id') }} then 'invalid_id'
            when typed.account_name is null then 'missing_name'
            when typed.created_at is null or typed.updated_at is null then 'invalid_timestamp'
            when {{ is_before_floor(['typed.created_at', 'typed.updated_at']) }} then 'timestamp_before_floor'
            when {{ is_future_dated(['typed.created_at', 'typed.updated_at'], 'typed._loaded_at') }}
                then 'future_timestamp'
        end as rejection_reason
    from typed
),

classified as (
    {{ classify_duplicates('validated', ['account_id'], 'updated_at desc, _loaded_at desc', 'superseded_version') }}
)

select
    classified.account_id,
    classified.owner_id,
    classified.account_name,
    classified.website_domain,
    classified.industry,
    case when classified.employee_count >= 0 then classified.employee_count end as employee_count,
    case when classified.annual_revenue_usd >= 0 then classified.annual_revenue_usd end as annual_revenue_usd,
    countries.country_code,
    countries.country_name,
    countries.region,
    classified.country_raw,
    classified.custom_attributes,
    classified.created_at,
    classified.updated_at,
    classified.rejection_reason,
    classified.duplicate_reason,
    classified._loaded_at,
    classified._source_file,
    classified._source_row
from classified
left join countries
    on {{ lookup_key('classified.country_raw') }} = countries.raw_country
