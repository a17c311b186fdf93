{#- One row per piece of lifecycle evidence for a lead: its creation (lead), each MQL event of the scoring engine
    (mql), each CRM stage change (sales_accepted, sales_qualified, recycled, disqualified, and the CRM's own `mql`
    hand-off rows), its first linked opportunity (opportunity) and its first won opportunity's close (customer).
    The scoring engine owns MQL: a CRM `mql` row is kept as hand-off evidence (`is_stage_entry` false), used only to
    date an inferred MQL. A row timestamped before the lead was created enters at the creation time and is flagged
    `is_before_lead_created`; nothing is dropped. With var as_of, later CRM changes are ignored. -#}

with

leads as (
    select * from {{ ref('dim_leads') }}
),

mql_events as (
    select * from {{ ref('fct_mql_events') }}
),

stage_changes as (
    select * from {{ ref('stg_crm__lead_stage_history') }}
    where {{ as_of_filter('changed_at') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_linked') }}
    where contact_id is not null
),

first_opportunities as (
    select
        contact_id,
        opportunity_id,
        created_at,
        row_number() over (partition by contact_id order by created_at, opportunity_id) as opportunity_rank
    from opportunities
),

first_wins as (
    select
        contact_id,
        opportunity_id,
        closed_at,
        row_number() over (partition by contact_id order by closed_at, opportunity_id) as win_rank
    from opportunities
    where is_won
),

evidence as (
    select
        contact_id,
        'lead' as lead_stage,
        'crm_contact' as stage_source,
        contact_id as source_id,
        cast(null as {{ dbt.type_string() }}) as mql_event_id,
        cast(null as {{ dbt.type_string() }}) as changed_by_owner_id,
        cast(null as {{ dbt.type_string() }}) as reason,
        created_at as recorded_at
    from leads

    union all

    select
        contact_id,
        'mql' as lead_stage,
        'scoring' as stage_source,
        mql_event_id as source_id,
        mql_event_id,
        cast(null as {{ dbt.type_string() }}) as changed_by_owner_id,
        qualification_type as reason,
        qualified_at as recorded_at
    from mql_events

    union all

    select
        contact_id,
        lead_stage,
        'crm_stage_history' as stage_source,
        stage_change_id as source_id,
        cast(null as {{ dbt.type_string() }}) as mql_event_id,
        changed_by_owner_id,
        reason,
        changed_at as recorded_at
    from stage_changes

    union all

    select
        contact_id,
        'opportunity' as lead_stage,
        'crm_opportunity' as stage_source,
        opportunity_id as source_id,
        cast(null as {{ dbt.type_string() }}) as mql_event_id,
        cast(null as {{ dbt.type_string() }}) as changed_by_owner_id,
        cast(null as {{ dbt.type_string() }}) as reason,
        created_at as recorded_at
    from first_opportunities
    where opportunity_rank = 1

    union all

    select
        contact_id,
        'customer' as lead_stage,
        'crm_opportunity' as stage_source,
        opportunity_id as source_id,
        cast(null as {{ dbt.type_string() }}) as mql_event_id,
        cast(null as {{ dbt.type_string() }}) as changed_by_owner_id,
        cast(null as {{ dbt.type_string() }}) as reason,
        closed_at as recorded_at
    from first_wins
    where win_rank = 1
)

select
    evidence.lead_stage || ':' || evidence.source_id as stage_event_id,
    evidence.contact_id,
    evidence.lead_stage,
    evidence.stage_source,
    evidence.source_id,
    evidence.mql_event_id,
    evidence.changed_by_owner_id,
    evidence.reason,
    evidence.stage_source <> 'crm_stage_history' or evidence.lead_stage <> 'mql' as is_stage_entry,
    evidence.lead_stage in ('recycled', 'disqualified') as is_exit,
    case evidence.lead_stage
        when 'lead' then 0
        when 'mql' then 1
        when 'sales_accepted' then 2
        when 'sales_qualified' then 3
        when 'opportunity' then 4
        when 'customer' then 5
    end as stage_rank,
    case
        when evidence.lead_stage = 'lead' then 0
        when evidence.lead_stage = 'recycled' then 1
        when evidence.lead_stage = 'disqualified' then 2
        when evidence.stage_source = 'crm_stage_history' and evidence.lead_stage = 'mql' then 3
        when evidence.lead_stage = 'mql' then 4
        when evidence.lead_stage = 'sales_accepted' then 5
        when evidence.lead_stage = 'sales_qualified' then 6
        when evidence.lead_stage = 'opportunity' then 7
        when evidence.lead_stage = 'customer' then 8
    end as tie_order,
    evidence.recorded_at,
    case
        when evidence.recorded_at < leads.created_at then leads.created_at else evidence.recorded_at
    end as entered_at,
    coalesce(evidence.recorded_at < leads.created_at, false) as is_before_lead_created
from evidence
inner join leads
    on evidence.contact_id = leads.contact_id
