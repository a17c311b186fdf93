{#- Every raw contact row, typed, with the reason it is rejected or removed as a duplicate (null when kept).
    Rules, in order: invalid id, invalid email, unparseable timestamps, timestamps out of range (before `timestamp_floor`, or after the load plus `future_tolerance_hours`), deleted in the CRM; then among usable rows,
    exact copies, older versions of the same contact id (latest `updated_at` wins), and contacts whose email
    (case-insensitive) belongs to an earlier-created contact, which are merged into that contact. -#}

with

source as (
    select * from {{ source('crm', 'contacts') }}
),

countries as (
    select * from {{ ref('country_map') }}
),

channels as (
    select * from {{ ref('channel_map') }}
),

personal_domains as (
    select * from {{ ref('personal_email_domains') }}
),

typed as (
    select
        trim(source.contact_id) as contact_id,
        {{ clean_text('source.account_id') }} as account_id,
        {{ clean_text('source.owner_id') }} as owner_id,
        {{ clean_text('source.original_campaign_id') }} as original_campaign_id,
        lower(trim(source.email)) as email,
        {{ clean_text('source.first_name') }} as first_name,
        {{ clean_text('source.last_name') }} as last_name,
        {{ clean_text('source.job_title') }} as job_title,
        {{ clean_text('source.company_name') }} as company_name,
        {{ clean_text('source.country') }} as country_raw,
        {{ clean_text('source.lead_source') }} as lead_source_raw,
        {{ parse_boolean('source.has_budget_authority') }} as has_budget_authority,
        {{ json_object_or_null(clean_text('source.custom_attributes')) }} as custom_attributes,
        coalesce({{ parse_boolean('source.is_deleted') }}, false) as is_deleted,
        {{ parse_timestamp_utc('source.created_at') }} as created_at,
        {{ parse_timestamp_utc('source.updated_at') }} as updated_at,
        {{ raw_row_lineage('source', 'crm', 'contacts') }}
    from source
),

validated as (
    select
        typed.*,
        case
            when not {{ is_valid_id('typed.contact_id') }} then 'invalid_id'
            when not {{ is_valid_email('typed.email') }} then 'invalid_email'
            when typed.created_at is null or typed.updated_at is null then 'invalid_timestamp'
            when {{ is_before_floor(['typed.created_at', 'typed.updated_at']) }} then 'timestamp_before_floor'
            when {{ is_future_dated(['typed.created_at', 'typed.updated_at'], 'typed._loaded_at') }}
                then 'future_timestamp'
            when typed.is_deleted then 'deleted_in_source'
        end as rejection_reason
    from typed
),

versions as (
    {{ classify_duplicates('validated', ['contact_id'], 'updated_at desc, _loaded_at desc', 'superseded_version') }}
),

email_owners as (
    select
        versions.*,
        first_value(versions.contact_id) over (
            partition by versions.email
            order by versions.created_at, versions.contact_id
        ) as canonical_contact_id
    from versions
    where versions.rejection_reason is null and versions.version_number = 1
),

classified as (
    select
        versions.*,
        coalesce(email_owners.canonical_contact_id, versions.contact_id) as canonical_contact_id,
        case
            when versions.duplicate_reason is not null then versions.duplicate_reason
            when email_owners.canonical_contact_id <> versions.contact_id then 'duplicate_email'
        end as removal_reason
    from versions
    left join email_owners
        on
            versions.contact_id = email_owners.contact_id
            and versions.rejection_reason is null
            and versions.version_number = 1
)

select
    classified.contact_id,
    classified.canonical_contact_id,
    classified.account_id,
    classified.owner_id,
    classified.original_campaign_id,
    classified.email,
    split_part(classified.email, '@', 2) as email_domain,
    classified.first_name,
    classified.last_name,
    classified.job_title,
    classified.company_name,
    countries.country_code,
    countries.country_name,
    countries.region,
    classified.country_raw,
    coalesce(channels.channel, case when classified.lead_source_raw is not null then 'other' end)
        as lead_source_channel,
    classified.lead_source_raw,
    classified.has_budget_authority,
    classified.custom_attributes,
    personal_domains.email_domain is not null as is_personal_email,
    classified.created_at,
    classified.updated_at,
    classified.rejection_reason,
    classified.removal_reason as duplicate_reason,
    classified.version_number,
    classified._loaded_at,
    classified._source_file,
    classified._source_row
from classified
left join countries
    on {{ lookup_key('classified.country_raw') }} = countries.raw_country
left join channels
    on {{ lookup_key('classified.lead_source_raw') }} = channels.raw_channel
left join personal_domains
    on split_part(classified.email, '@', 2) = personal_domains.email_domain
