{#- One row per opportunity created by the reference time: its lead link, amount, outcome and MQL attribution.
    Sourced: the opportunity's own lead had an MQL event (scoring engine) at or before the opportunity was created
    (first touch). Influenced: sourced, or any lead of the opportunity's account had an MQL event within var
    pipeline_influence_window_days days before its creation. Inferred MQLs (dated from CRM stages) earn no credit.
    Channel and campaign are the linked lead's; `unknown` when the opportunity has no lead. -#}
{%- set influence_days = var('pipeline_influence_window_days') -%}
{%- if influence_days is not number or influence_days < 0 -%}
{{ exceptions.raise_compiler_error("var pipeline_influence_window_days: must be a number of days (0 or more), got '" ~ influence_days ~ "'") }}
{%- endif %}

with

opportunities as (
    select * from {{ ref('int_opportunities_linked') }}
),

leads as (
    select * from {{ ref('dim_leads') }}
),

mql_events as (
    select * from {{ ref('fct_mql_events') }}
),

sourcing_mqls as (
    select
        opportunities.opportunity_id,
        min(mql_events.qualified_at) as sourcing_mql_at
    from opportunities
    inner join mql_events
        on
            opportunities.contact_id = mql_events.contact_id
            and opportunities.created_at >= mql_events.qualified_at
    group by opportunities.opportunity_id
),

influencing_mqls as (
    select
        opportunities.opportunity_id,
        count(distinct mql_events.contact_id) as influencing_contacts,
        max(mql_events.qualified_at) as latest_influencing_mql_at
    from opportunities
    inner join leads
        on opportunities.account_id = leads.account_id
    inner join mql_events
        on
            leads.contact_id = mql_events.contact_id
            and opportunities.created_at >= mql_events.qualified_at
            and {{ epoch_microseconds('opportunities.created_at') }}
            - {{ epoch_microseconds('mql_events.qualified_at') }}
            <= {{ (influence_days * 86400000000) | int }}
    group by opportunities.opportunity_id
),

attributed as (
    select
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.contact_id,
        opportunities.owner_id,
        opportunities.link_method,
        opportunities.amount_usd,
        opportunities.opportunity_stage,
        opportunities.is_closed,
        opportunities.is_won,
        opportunities.is_closed_before_created,
        opportunities.created_at,
        opportunities.closed_at,
        sourcing_mqls.sourcing_mql_at,
        influencing_mqls.latest_influencing_mql_at,
        coalesce(influencing_mqls.influencing_contacts, 0) as influencing_contacts,
        sourcing_mqls.sourcing_mql_at is not null as is_mql_sourced,
        sourcing_mqls.sourcing_mql_at is not null or influencing_mqls.opportunity_id is not null as is_mql_influenced,
        leads.lead_source_channel,
        leads.original_campaign_id
    from opportunities
    left join sourcing_mqls
        on opportunities.opportunity_id = sourcing_mqls.opportunity_id
    left join influencing_mqls
        on opportunities.opportunity_id = influencing_mqls.opportunity_id
    left join leads
        on opportunities.contact_id = leads.contact_id
)

select
    opportunity_id,
    account_id,
    contact_id,
    owner_id,
    link_method,
    coalesce(lead_source_channel, 'unknown') as lead_source_channel,
    original_campaign_id,
    opportunity_stage,
    case
        when is_mql_sourced then 'mql_sourced'
        when is_mql_influenced then 'mql_influenced'
        else 'not_mql'
    end as mql_attribution,
    cast(influencing_contacts as integer) as influencing_contacts,
    amount_usd,
    cast(case when is_won then amount_usd else 0 end as {{ type_double() }}) as won_amount_usd,
    cast(case when is_mql_sourced then amount_usd else 0 end as {{ type_double() }}) as mql_sourced_amount_usd,
    cast(case when is_mql_influenced then amount_usd else 0 end as {{ type_double() }}) as mql_influenced_amount_usd,
    is_closed,
    is_won,
    is_mql_sourced,
    is_mql_influenced,
    is_closed_before_created,
    cast({{ dbt.date_trunc('month', 'created_at') }} as date) as created_month,
    cast({{ dbt.date_trunc('month', 'closed_at') }} as date) as closed_month,
    created_at,
    closed_at,
    sourcing_mql_at,
    latest_influencing_mql_at
from attributed
