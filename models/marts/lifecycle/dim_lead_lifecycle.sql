{#- One row per lead (as in `dim_leads`): where it is in the lifecycle now, when it first reached each funnel stage
    (recorded or inferred), how often it was an MQL, recycled or disqualified, whether it is product-qualified
    (PQL), its time to conversion, its lead cohort (month created) and data-quality flags. No email or name. -#}

with

leads as (
    select * from {{ ref('dim_leads') }}
),

stage_history as (
    select * from {{ ref('fct_lead_stage_history') }}
),

product_qualifications as (
    select * from {{ ref('int_leads_product_qualified') }}
),

first_pqls as (
    select
        contact_id,
        pql_rule_id,
        qualified_at,
        row_number() over (partition by contact_id order by qualified_at, pql_rule_id) as pql_rank
    from product_qualifications
),

current_stages as (
    select
        contact_id,
        lead_stage as current_stage,
        funnel_stage as current_funnel_stage,
        entered_at as current_stage_entered_at
    from stage_history
    where is_current
),

milestones as (
    select
        contact_id,
        min(case when funnel_level >= 1 then entered_at end) as first_mql_at,
        min(case when funnel_level >= 2 then entered_at end) as first_sql_at,
        min(case when funnel_level >= 3 then entered_at end) as first_opportunity_at,
        min(case when funnel_level >= 4 then entered_at end) as customer_at,
        min(case when lead_stage = 'mql' and progressed_at is not null then entered_at end) as first_converted_mql_at,
        min(case when lead_stage = 'mql' then progressed_at end) as first_mql_progressed_at,
        max(funnel_level) as furthest_funnel_level,
        sum(case when lead_stage = 'mql' then 1 else 0 end) as mql_entries,
        sum(case when lead_stage = 'mql' and is_inferred then 1 else 0 end) as inferred_mql_entries,
        sum(case when lead_stage = 'recycled' then 1 else 0 end) as recycle_count,
        sum(case when lead_stage = 'disqualified' then 1 else 0 end) as disqualification_count,
        sum(
            case
                when is_before_lead_created or is_out_of_order or is_repeated_stage or has_same_instant_peer then 1
                else 0
            end
        ) as flagged_entries,
        max(case when is_inferred then 1 else 0 end) = 1 as has_inferred_stage
    from stage_history
    group by contact_id
)

select
    leads.contact_id,
    leads.account_id,
    leads.owner_id,
    leads.original_campaign_id,
    coalesce(leads.lead_source_channel, 'unknown') as lead_source_channel,
    current_stages.current_stage,
    current_stages.current_funnel_stage,
    case milestones.furthest_funnel_level
        when 0 then 'lead'
        when 1 then 'mql'
        when 2 then 'sql'
        when 3 then 'opportunity'
        when 4 then 'customer'
    end as furthest_funnel_stage,
    cast(milestones.mql_entries as integer) as mql_entries,
    cast(milestones.inferred_mql_entries as integer) as inferred_mql_entries,
    cast(milestones.recycle_count as integer) as recycle_count,
    cast(milestones.disqualification_count as integer) as disqualification_count,
    cast(milestones.flagged_entries as integer) as flagged_entries,
    first_pqls.pql_rule_id,
    cast(
        ({{ epoch_microseconds('milestones.first_mql_at') }} - {{ epoch_microseconds('leads.created_at') }})
        / 86400000000.0 as {{ type_double() }}
    ) as days_lead_to_mql,
    cast(
        (
            {{ epoch_microseconds('milestones.first_mql_progressed_at') }}
            - {{ epoch_microseconds('milestones.first_converted_mql_at') }}
        )
        / 86400000000.0 as {{ type_double() }}
    ) as days_mql_to_sql,
    cast(
        case
            when milestones.customer_at >= milestones.first_sql_at
                then
                    (
                        {{ epoch_microseconds('milestones.customer_at') }}
                        - {{ epoch_microseconds('milestones.first_sql_at') }}
                    )
                    / 86400000000.0
        end as {{ type_double() }}
    ) as days_sql_to_won,
    milestones.first_mql_at is not null as has_reached_mql,
    milestones.first_sql_at is not null as has_reached_sql,
    milestones.first_opportunity_at is not null as has_reached_opportunity,
    milestones.customer_at is not null as is_customer,
    first_pqls.qualified_at is not null as is_pql,
    coalesce(milestones.has_inferred_stage, false) as has_inferred_stage,
    cast({{ dbt.date_trunc('month', 'leads.created_at') }} as date) as cohort_month,
    leads.created_at,
    milestones.first_mql_at,
    milestones.first_sql_at,
    milestones.first_opportunity_at,
    milestones.customer_at,
    first_pqls.qualified_at as pql_at,
    current_stages.current_stage_entered_at,
    leads.scored_at as reference_at
from leads
left join current_stages
    on leads.contact_id = current_stages.contact_id
left join milestones
    on leads.contact_id = milestones.contact_id
left join first_pqls
    on leads.contact_id = first_pqls.contact_id and first_pqls.pql_rank = 1
