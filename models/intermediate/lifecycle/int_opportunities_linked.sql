{#- One row per opportunity created by the reference time, linked to the lead whose lifecycle it enters: its
    primary contact when that is a known lead, else the contact of its account with the latest MQL event at or
    before the opportunity's creation, else none (the opportunity still counts for its account). With var as_of,
    a deal closed after as_of is still open. -#}

with

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
    where {{ as_of_filter('created_at') }}
),

leads as (
    select * from {{ ref('dim_leads') }}
),

mql_events as (
    select * from {{ ref('fct_mql_events') }}
),

account_mqls as (
    select
        opportunities.opportunity_id,
        mql_events.contact_id,
        row_number() over (
            partition by opportunities.opportunity_id
            order by mql_events.qualified_at desc, mql_events.contact_id asc
        ) as recency_rank
    from opportunities
    inner join leads
        on opportunities.account_id = leads.account_id
    inner join mql_events
        on leads.contact_id = mql_events.contact_id and opportunities.created_at >= mql_events.qualified_at
),

linked as (
    select
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.owner_id,
        opportunities.primary_contact_id,
        coalesce(primary_leads.contact_id, account_mqls.contact_id) as contact_id,
        case
            when primary_leads.contact_id is not null then 'primary_contact'
            when account_mqls.contact_id is not null then 'account_latest_mql'
            else 'unlinked'
        end as link_method,
        cast(opportunities.amount_usd as {{ type_double() }}) as amount_usd,
        opportunities.opportunity_stage,
        opportunities.created_at,
        case when {{ as_of_filter('opportunities.closed_at') }} then opportunities.closed_at end as closed_at,
        coalesce(opportunities.is_closed and {{ as_of_filter('opportunities.closed_at') }}, false) as is_closed,
        coalesce(opportunities.is_won and {{ as_of_filter('opportunities.closed_at') }}, false) as is_won
    from opportunities
    left join leads as primary_leads
        on opportunities.primary_contact_id = primary_leads.contact_id
    left join account_mqls
        on opportunities.opportunity_id = account_mqls.opportunity_id and account_mqls.recency_rank = 1
)

select
    opportunity_id,
    account_id,
    owner_id,
    primary_contact_id,
    contact_id,
    link_method,
    amount_usd,
    opportunity_stage,
    is_closed,
    is_won,
    created_at,
    closed_at,
    coalesce(closed_at < created_at, false) as is_closed_before_created
from linked
