{#- Each lead's stage history is one unbroken chain: it starts with its lead entry, every stage is left exactly when
    the next one is entered (so durations add up to the time since creation), durations are never negative, and
    exactly the last stage is current. Returns the broken entries. -#}

with

stage_history as (
    select
        stage_entry_id,
        contact_id,
        stage_sequence,
        lead_stage,
        entered_at,
        exited_at,
        duration_days,
        is_current,
        lead(entered_at) over (partition by contact_id order by stage_sequence) as next_entered_at,
        max(stage_sequence) over (partition by contact_id) as last_sequence
    from {{ ref('fct_lead_stage_history') }}
)

select
    stage_entry_id,
    stage_sequence,
    lead_stage
from stage_history
where
    (stage_sequence = 1) <> (lead_stage = 'lead')
    or coalesce(exited_at <> next_entered_at, exited_at is not null or next_entered_at is not null)
    or duration_days < 0
    or is_current <> (stage_sequence = last_sequence)
