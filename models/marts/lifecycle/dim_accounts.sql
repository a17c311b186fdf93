{#- One row per account (created by the reference time, as in `dim_account_qualification`; its latest version,
    from staging): the labels BI shows next to the account ids of the lead, account and opportunity marts. Its
    name, web domain (null when it is a personal email provider's, e.g. gmail.com: that says nothing about the
    company), industry, size, company size band, country and region, owner and record times. Firmographics come
    from `int_account_fit_scored`, so the band is the one account fit scored. Nothing typed by people beyond the
    company's name: no contact names, emails or phones, and no custom attributes (free-form JSON). -#}

with

account_firmographics as (
    select * from {{ ref('int_account_fit_scored') }}
),

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

personal_email_domains as (
    select * from {{ ref('personal_email_domains') }}
)

select
    account_firmographics.account_id,
    accounts.account_name,
    case when personal_email_domains.email_domain is null then accounts.website_domain end as website_domain,
    account_firmographics.industry,
    cast(accounts.employee_count as bigint) as employee_count,
    account_firmographics.company_size_band,
    cast(accounts.annual_revenue_usd as {{ type_double() }}) as annual_revenue_usd,
    account_firmographics.country_code,
    accounts.country_name,
    account_firmographics.region,
    accounts.owner_id,
    personal_email_domains.email_domain is not null as has_personal_domain,
    accounts.created_at,
    accounts.updated_at
from account_firmographics
inner join accounts
    on account_firmographics.account_id = accounts.account_id
left join personal_email_domains
    on accounts.website_domain = personal_email_domains.email_domain
