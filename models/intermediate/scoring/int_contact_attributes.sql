{#- Fit attributes of every version of every canonical contact, valid from the version's `updated_at` (the first
    version is valid for all earlier time too: it is the oldest state we know) until the next version.
    Firmographics come from the contact's account as known at the scoring reference time. Point-in-time: with var
    as_of, contacts and accounts created later are ignored, and so are versions written later (the first version
    of a record created by then always counts).
    Materialised as a table: title keyword matching is the costly part of fit, and the fit models, the score
    history and their tests all read it. -#}
{{ config(materialized='table') }}

with

all_contact_versions as (
    select
        base.*,
        row_number() over (
            partition by base.contact_id order by base.updated_at, base._loaded_at, base._source_file, base._source_row
        ) as version_sequence
    from {{ ref('base_crm__contacts') }} as base
    inner join {{ ref('stg_crm__contact_map') }} as contact_map
        on base.contact_id = contact_map.contact_id and not contact_map.is_merged
    where
        base.rejection_reason is null
        and (base.duplicate_reason is null or base.duplicate_reason = 'superseded_version')
),

contact_versions as (
    select *
    from all_contact_versions
    where {{ as_of_filter('created_at') }} and (version_sequence = 1 or {{ as_of_filter('updated_at') }})
),

all_account_versions as (
    select
        *,
        row_number() over (
            partition by account_id order by updated_at, _loaded_at, _source_file, _source_row
        ) as version_number
    from {{ ref('base_crm__accounts') }}
    where rejection_reason is null and (duplicate_reason is null or duplicate_reason = 'superseded_version')
),

account_versions as (
    select *
    from all_account_versions
    where {{ as_of_filter('created_at') }} and (version_number = 1 or {{ as_of_filter('updated_at') }})
),

title_keywords as (
    select * from {{ ref('title_keywords') }}
),

size_bands as (
    select * from {{ ref('company_size_bands') }}
),

competitors as (
    select * from {{ ref('competitor_domains') }}
),

domain_suffixes as (
    select * from {{ ref('email_domain_suffixes') }}
),

latest_accounts as (
    select
        account_id,
        industry,
        employee_count,
        annual_revenue_usd,
        country_code,
        region,
        custom_attributes,
        row_number() over (partition by account_id order by version_number desc) as recency_rank
    from account_versions
),

versions_ordered as (
    select
        contact_id,
        account_id,
        owner_id,
        original_campaign_id,
        lead_source_channel,
        job_title,
        ' '
        || trim({{ regexp_replace_all("lower(coalesce(job_title, ''))", '[^a-z0-9]+', ' ') }})
        || ' ' as title_words,
        email_domain,
        is_personal_email,
        country_code,
        region,
        has_budget_authority,
        custom_attributes,
        created_at,
        updated_at,
        version_sequence as version_number
    from contact_versions
),

title_matches as (
    select
        versions_ordered.contact_id,
        versions_ordered.version_number,
        title_keywords.dimension,
        title_keywords.value,
        row_number() over (
            partition by versions_ordered.contact_id, versions_ordered.version_number, title_keywords.dimension
            order by title_keywords.priority, title_keywords.keyword
        ) as match_rank
    from versions_ordered
    inner join title_keywords
        on versions_ordered.title_words like '% ' || title_keywords.keyword || ' %'
),

title_classes as (
    select
        contact_id,
        version_number,
        max(case when dimension = 'seniority' then value end) as seniority,
        max(case when dimension = 'job_function' then value end) as job_function
    from title_matches
    where match_rank = 1
    group by contact_id, version_number
),

suffix_matches as (
    select
        versions_ordered.contact_id,
        versions_ordered.version_number,
        min(domain_suffixes.email_type) as email_type
    from versions_ordered
    inner join domain_suffixes
        on versions_ordered.email_domain like '%' || domain_suffixes.suffix
    group by versions_ordered.contact_id, versions_ordered.version_number
)

select
    versions_ordered.contact_id || ':' || cast(versions_ordered.version_number as {{ dbt.type_string() }})
        as contact_version_id,
    versions_ordered.contact_id,
    versions_ordered.version_number,
    versions_ordered.account_id,
    versions_ordered.owner_id,
    versions_ordered.original_campaign_id,
    versions_ordered.lead_source_channel,
    case
        when versions_ordered.job_title is null then 'unknown'
        else coalesce(title_classes.seniority, 'individual_contributor')
    end as seniority,
    case
        when versions_ordered.job_title is null then 'unknown'
        else coalesce(title_classes.job_function, 'other')
    end as job_function,
    latest_accounts.industry,
    size_bands.company_size_band,
    latest_accounts.employee_count,
    latest_accounts.annual_revenue_usd as annual_revenue,
    coalesce(versions_ordered.country_code, latest_accounts.country_code) as country_code,
    coalesce(versions_ordered.region, latest_accounts.region) as region,
    case
        when competitors.email_domain is not null then 'competitor'
        when versions_ordered.is_personal_email then 'personal'
        when suffix_matches.email_type is not null then suffix_matches.email_type
        else 'business'
    end as email_type,
    versions_ordered.has_budget_authority,
    versions_ordered.custom_attributes,
    latest_accounts.custom_attributes as account_custom_attributes,
    case when versions_ordered.version_number > 1 then versions_ordered.updated_at end as valid_from,
    lead(versions_ordered.updated_at) over (
        partition by versions_ordered.contact_id order by versions_ordered.version_number
    ) as valid_to,
    versions_ordered.created_at
from versions_ordered
left join title_classes
    on
        versions_ordered.contact_id = title_classes.contact_id
        and versions_ordered.version_number = title_classes.version_number
left join suffix_matches
    on
        versions_ordered.contact_id = suffix_matches.contact_id
        and versions_ordered.version_number = suffix_matches.version_number
left join latest_accounts
    on versions_ordered.account_id = latest_accounts.account_id and latest_accounts.recency_rank = 1
left join size_bands
    on
        latest_accounts.employee_count >= size_bands.min_employees
        and (size_bands.max_employees is null or latest_accounts.employee_count <= size_bands.max_employees)
left join competitors
    on versions_ordered.email_domain = competitors.email_domain
