{#- PII for trusted targets only: built when var expose_pii is true (see _scoring__marts.yml). -#}
{{ config(enabled=var('expose_pii', false)) }}

with

leads as (
    select * from {{ ref('dim_leads') }}
),

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
)

select
    leads.contact_id,
    leads.contact_key,
    contacts.email,
    contacts.first_name,
    contacts.last_name
from leads
inner join contacts
    on leads.contact_id = contacts.contact_id
