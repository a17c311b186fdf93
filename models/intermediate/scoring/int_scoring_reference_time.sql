{#- One row: the instant current scores, lifecycle stages and funnel maturity are read at (`scoring_reference_time`
    reads it). Var as_of when set. Otherwise the data's own "now", so that a rebuild of the same data gives the same
    numbers: the latest staged event; for a data set without events (a CRM-only export, an events file not yet
    delivered) the latest CRM instant instead: contact and account versions (created, updated), lead-stage changes,
    opportunities (created, updated, closed) and sales activities. Staged rows only (quarantined future-dated events,
    activities and stage changes do not count). Null only when every table is empty. -#}
{{ config(materialized='table') }}

{%- set as_of = scoring_config().as_of %}
{#- the CRM instants the fallback takes the latest of: (staging model, column) -#}
{%- set crm_instant_columns = [
    ('stg_crm__contacts', 'created_at'),
    ('stg_crm__contacts', 'updated_at'),
    ('stg_crm__accounts', 'created_at'),
    ('stg_crm__accounts', 'updated_at'),
    ('stg_crm__lead_stage_history', 'changed_at'),
    ('stg_crm__opportunities', 'created_at'),
    ('stg_crm__opportunities', 'updated_at'),
    ('stg_crm__opportunities', 'case when is_closed then closed_at end'),
    ('stg_crm__sales_activities', 'occurred_at'),
] %}

{%- if as_of is not none %}

select
    cast('{{ as_of }}' as timestamp) as reference_at,
    'as_of' as reference_source

{%- else %}

with

latest_event as (
    select max(occurred_at) as latest_at from {{ ref('stg_marketing__events') }}
),

crm_instants as (
    {%- for model, column in crm_instant_columns %}
    select max({{ column }}) as latest_at from {{ ref(model) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

latest_crm as (
    select max(latest_at) as latest_at from crm_instants
)

select
    coalesce(latest_event.latest_at, latest_crm.latest_at) as reference_at,
    case
        when latest_event.latest_at is not null then 'latest_event'
        when latest_crm.latest_at is not null then 'latest_crm_record'
    end as reference_source
from latest_event
cross join latest_crm

{%- endif %}
