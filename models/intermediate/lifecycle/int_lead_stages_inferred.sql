{#- One row per stage a lead entered: the stage entries of `int_stage_events` (CRM `mql` hand-off rows are
    evidence, not entries) plus inferred entries for stages the lead skipped, with data-quality flags.

    Rules (documented in the README, "Lifecycle"):
    - Order: by entry time, then lead < recycled < disqualified < (CRM hand-off) < mql < sales_accepted <
      sales_qualified < opportunity < customer at the same instant, then source id: deterministic.
    - Rounds: a recycle or disqualification ends a round (`lifecycle_round`, counted from 0); the lead is back in
      nurture and its next entries belong to the next round.
    - Skipped stages: a sales stage (sales_accepted, sales_qualified) or later entered in a round with no MQL before
      it gets an inferred MQL, dated at the latest CRM hand-off (`mql` row) of the round before it, else at the
      entry itself; so does a recycle or disqualification with a CRM hand-off but no MQL in its round (sales
      rejected a lead it was handed; without a hand-off it rejected a raw lead, which is no MQL). An opportunity or
      customer entered in a round with no SQL before it gets an inferred sales_qualified at the same instant.
      Inferred rows are flagged `is_inferred`; MQLs are inferred for rejected hand-offs too, so that inferred MQLs
      do not inflate the MQL->SQL rate.
    - Contradictions are flagged, never dropped: `is_out_of_order` (a stage below one already reached in the round,
      e.g. a scored MQL after the lead was accepted), `is_repeated_stage` (the same stage again in a round),
      `has_same_instant_peer` (another entry of the lead at the same instant), `is_before_lead_created`. -#}

with

stage_events as (
    select * from {{ ref('int_lead_stage_events') }}
),

ordered as (
    select
        *,
        row_number() over (
            partition by contact_id order by entered_at, tie_order, source_id
        ) as event_sequence
    from stage_events
),

rounds as (
    select
        *,
        coalesce(
            sum(case when is_exit then 1 else 0 end) over (
                partition by contact_id order by event_sequence rows between unbounded preceding and 1 preceding
            ),
            0
        ) as lifecycle_round
    from ordered
),

round_context as (
    select
        *,
        coalesce(
            max(case when is_stage_entry then stage_rank end) over (
                partition by contact_id, lifecycle_round
                order by event_sequence rows between unbounded preceding and 1 preceding
            ),
            0
        ) as prior_rank_in_round,
        max(case when not is_stage_entry then entered_at end) over (
            partition by contact_id, lifecycle_round
            order by event_sequence rows between unbounded preceding and 1 preceding
        ) as handoff_at_in_round,
        sum(case when is_stage_entry then 1 else 0 end) over (partition by contact_id, entered_at) > 1
            as has_same_instant_peer
    from rounds
),

entries as (
    select
        *,
        row_number() over (
            partition by contact_id, lifecycle_round, lead_stage order by event_sequence
        ) > 1 as is_repeated_stage
    from round_context
    where is_stage_entry
),

recorded_entries as (
    select
        stage_event_id,
        contact_id,
        lead_stage,
        stage_source,
        source_id,
        mql_event_id,
        changed_by_owner_id,
        reason,
        stage_rank,
        tie_order,
        cast(lifecycle_round as {{ dbt.type_int() }}) as lifecycle_round,
        recorded_at,
        entered_at,
        false as is_inferred,
        cast(null as {{ dbt.type_string() }}) as inference_basis,
        is_before_lead_created,
        coalesce(stage_rank < prior_rank_in_round, false) as is_out_of_order,
        is_repeated_stage,
        has_same_instant_peer
    from entries
),

inferred_mqls as (
    select
        stage_event_id || ':inferred_mql' as stage_event_id,
        contact_id,
        'mql' as lead_stage,
        'inferred' as stage_source,
        source_id,
        cast(null as {{ dbt.type_string() }}) as mql_event_id,
        cast(null as {{ dbt.type_string() }}) as changed_by_owner_id,
        'inferred before ' || lead_stage as reason,
        1 as stage_rank,
        4 as tie_order,
        cast(lifecycle_round as {{ dbt.type_int() }}) as lifecycle_round,
        cast(null as {{ dbt.type_timestamp() }}) as recorded_at,
        coalesce(handoff_at_in_round, entered_at) as entered_at,
        true as is_inferred,
        case when handoff_at_in_round is not null then 'crm_mql_handoff' else 'stage_skipped' end as inference_basis,
        false as is_before_lead_created,
        false as is_out_of_order,
        false as is_repeated_stage,
        false as has_same_instant_peer
    from entries
    where
        prior_rank_in_round < 1
        and (stage_rank >= 2 or (is_exit and handoff_at_in_round is not null))
),

inferred_sqls as (
    select
        stage_event_id || ':inferred_sql' as stage_event_id,
        contact_id,
        'sales_qualified' as lead_stage,
        'inferred' as stage_source,
        source_id,
        cast(null as {{ dbt.type_string() }}) as mql_event_id,
        cast(null as {{ dbt.type_string() }}) as changed_by_owner_id,
        'inferred before ' || lead_stage as reason,
        3 as stage_rank,
        6 as tie_order,
        cast(lifecycle_round as {{ dbt.type_int() }}) as lifecycle_round,
        cast(null as {{ dbt.type_timestamp() }}) as recorded_at,
        entered_at,
        true as is_inferred,
        'stage_skipped' as inference_basis,
        false as is_before_lead_created,
        false as is_out_of_order,
        false as is_repeated_stage,
        false as has_same_instant_peer
    from entries
    where stage_rank >= 4 and prior_rank_in_round < 2
)

select * from recorded_entries
union all
select * from inferred_mqls
union all
select * from inferred_sqls
