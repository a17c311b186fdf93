{#- One row per account (created by the reference time): its firmographic fit, its contacts, its engagement depth
    and breadth now (at the reference time), and whether and when it first became an MQA (marketing qualified
    account): fit points at least var mqa_min_fit_points while, within the last var mqa_window_days days, its
    contacts earned at least var mqa_min_engagement_points engagement points (depth) and at least var
    mqa_min_engaged_contacts of them engaged (breadth). -#}
{%- set min_fit = var('mqa_min_fit_points') -%}
{%- set min_points = var('mqa_min_engagement_points') -%}
{%- set min_contacts = var('mqa_min_engaged_contacts') -%}
{%- set thresholds = {
    'mqa_min_fit_points': min_fit, 'mqa_min_engagement_points': min_points, 'mqa_min_engaged_contacts': min_contacts,
} -%}
{%- for name, value in thresholds.items() if value is not number -%}
{{ exceptions.raise_compiler_error("var " ~ name ~ ": must be a number, got '" ~ value ~ "'") }}
{%- endfor %}

with

account_fit as (
    select * from {{ ref('int_account_fit_scored') }}
),

engagement as (
    select * from {{ ref('int_account_engagement_windowed') }}
),

lifecycle as (
    select * from {{ ref('dim_lead_lifecycle') }}
),

contacts as (
    select
        account_id,
        count(*) as contact_count,
        sum(case when has_reached_mql then 1 else 0 end) as mql_contact_count,
        sum(case when is_pql then 1 else 0 end) as pql_contact_count
    from lifecycle
    where account_id is not null
    group by account_id
),

reference as (
    select max(reference_at) as reference_at from lifecycle
),

current_engagement as (
    select
        account_id,
        engagement_points_in_window,
        engaged_contacts_in_window
    from engagement
    where is_reference_instant
),

first_qualifications as (
    select
        engagement.account_id,
        min(engagement.engaged_at) as first_mqa_at
    from engagement
    inner join account_fit
        on engagement.account_id = account_fit.account_id
    where
        not engagement.is_reference_instant
        and account_fit.account_fit_points >= {{ min_fit }}
        and engagement.engagement_points_in_window >= {{ min_points }}
        and engagement.engaged_contacts_in_window >= {{ min_contacts }}
    group by engagement.account_id
)

select
    account_fit.account_id,
    account_fit.industry,
    account_fit.company_size_band,
    account_fit.country_code,
    account_fit.region,
    account_fit.account_fit_points,
    cast(coalesce(contacts.contact_count, 0) as integer) as contact_count,
    cast(coalesce(contacts.mql_contact_count, 0) as integer) as mql_contact_count,
    cast(coalesce(contacts.pql_contact_count, 0) as integer) as pql_contact_count,
    cast(coalesce(current_engagement.engagement_points_in_window, 0) as {{ type_double() }})
        as engagement_points_in_window,
    cast(coalesce(current_engagement.engaged_contacts_in_window, 0) as integer) as engaged_contacts_in_window,
    account_fit.account_fit_points >= {{ min_fit }} as is_fit_account,
    first_qualifications.first_mqa_at is not null as has_been_mqa,
    coalesce(
        account_fit.account_fit_points >= {{ min_fit }}
        and current_engagement.engagement_points_in_window >= {{ min_points }}
        and current_engagement.engaged_contacts_in_window >= {{ min_contacts }},
        false
    ) as is_mqa,
    first_qualifications.first_mqa_at,
    reference.reference_at
from account_fit
cross join reference
left join contacts
    on account_fit.account_id = contacts.account_id
left join current_engagement
    on account_fit.account_id = current_engagement.account_id
left join first_qualifications
    on account_fit.account_id = first_qualifications.account_id
