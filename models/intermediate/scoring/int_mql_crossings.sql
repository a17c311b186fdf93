{#- Every instant at which a lead could become an MQL: its scores cross the threshold (not met just before, met at
    the instant) or a fast-track (hand-raiser) event arrives while its fit is acceptable; never while sales has it
    disqualified. The first one in each requalification epoch (epochs start at each recycle by sales) is an MQL
    event; later ones in the same epoch are not (the lead is already an MQL). -#}

with

score_history as (
    select * from {{ ref('int_contact_score_history') }}
),

candidates as (
    select
        score_history_id,
        contact_id,
        instant_kind,
        kind_order,
        source_id,
        scored_at,
        time_us,
        requalification_epoch,
        fit_score,
        engagement_score,
        negative_score,
        total_score,
        fit_grade,
        engagement_band,
        case
            when meets_threshold and not met_threshold_before then 'threshold'
            else 'fast_track'
        end as qualification_type
    from score_history
    where
        instant_kind in ('event', 'fit_change')
        and not is_disqualified
        and ((meets_threshold and not met_threshold_before) or is_fast_track_hit)
)

select
    candidates.*,
    row_number() over (
        partition by candidates.contact_id, candidates.requalification_epoch
        order by candidates.time_us, candidates.kind_order, candidates.source_id
    ) = 1 as is_first_in_epoch
from candidates
