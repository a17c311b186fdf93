{#- One row per lead and stage it entered (recorded or inferred), in lifecycle order: when it entered and left the
    stage, the next stage, the time spent, and when the lead next progressed down the funnel in the same round.
    The rules for order, rounds, inferred stages and flags are in `int_stages_inferred`. -#}

with

stage_entries as (
    select * from {{ ref('int_lead_stages_inferred') }}
),

sequenced as (
    select
        *,
        case
            when lead_stage = 'lead' then 'lead'
            when lead_stage = 'mql' then 'mql'
            when lead_stage in ('sales_accepted', 'sales_qualified') then 'sql'
            else lead_stage
        end as funnel_stage,
        case
            when lead_stage = 'lead' then 0
            when lead_stage = 'mql' then 1
            when lead_stage in ('sales_accepted', 'sales_qualified') then 2
            when lead_stage = 'opportunity' then 3
            when lead_stage = 'customer' then 4
        end as funnel_level,
        row_number() over (partition by contact_id order by entered_at, tie_order, stage_event_id) as stage_sequence
    from stage_entries
),

with_next as (
    select
        *,
        lead(lead_stage) over (partition by contact_id order by stage_sequence) as next_stage,
        lead(entered_at) over (partition by contact_id order by stage_sequence) as exited_at,
        coalesce(
            max(funnel_level) over (
                partition by contact_id, lifecycle_round
                order by stage_sequence rows between unbounded preceding and 1 preceding
            ),
            0
        ) as prior_funnel_level_in_round,
        min(case when funnel_level >= 1 then entered_at end) over (
            partition by contact_id, lifecycle_round
            order by stage_sequence rows between 1 following and unbounded following
        ) as next_mql_or_later_at,
        min(case when funnel_level >= 2 then entered_at end) over (
            partition by contact_id, lifecycle_round
            order by stage_sequence rows between 1 following and unbounded following
        ) as next_sql_or_later_at,
        min(case when funnel_level >= 3 then entered_at end) over (
            partition by contact_id, lifecycle_round
            order by stage_sequence rows between 1 following and unbounded following
        ) as next_opportunity_or_later_at,
        min(case when funnel_level >= 4 then entered_at end) over (
            partition by contact_id, lifecycle_round
            order by stage_sequence rows between 1 following and unbounded following
        ) as next_customer_at
    from sequenced
)

select
    stage_event_id as stage_entry_id,
    contact_id,
    cast(stage_sequence as integer) as stage_sequence,
    cast(lifecycle_round as integer) as lifecycle_round,
    lead_stage,
    funnel_stage,
    cast(funnel_level as integer) as funnel_level,
    next_stage,
    stage_source,
    source_id,
    mql_event_id,
    changed_by_owner_id,
    -- a CRM stage change's reason is free text (names, emails, phone numbers): left out unless var
    -- expose_free_text; the scoring and inference reasons are codes
    case
        when stage_source <> 'crm_stage_history' or {{ var('expose_free_text', false) }} then reason
    end as reason,
    inference_basis,
    recorded_at,
    entered_at,
    exited_at,
    cast(
        ({{ epoch_microseconds('exited_at') }} - {{ epoch_microseconds('entered_at') }}) / 86400000000.0
        as {{ type_double() }}
    ) as duration_days,
    case
        when funnel_level = 0 then next_mql_or_later_at
        when funnel_level = 1 then next_sql_or_later_at
        when funnel_level = 2 then next_opportunity_or_later_at
        when funnel_level = 3 then next_customer_at
    end as progressed_at,
    cast({{ dbt.date_trunc('month', 'entered_at') }} as date) as entered_month,
    coalesce(lead_stage = 'lead' or funnel_level > prior_funnel_level_in_round, false) as is_funnel_progression,
    exited_at is null as is_current,
    is_inferred,
    is_before_lead_created,
    is_out_of_order,
    is_repeated_stage,
    has_same_instant_peer
from with_next
