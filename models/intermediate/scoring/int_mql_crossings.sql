{#- Every instant at which a lead could become an MQL under the configured setting (`scoring_config()`): its scores
    cross the threshold (met at the instant, not just before; nothing exists before a lead's first instant, so a
    lead that meets the setting when it is created qualifies then) or a fast-track (hand-raiser) event arrives
    while its fit is acceptable; never while sales has it disqualified. The first one in each requalification epoch
    (epochs start at each recycle by sales) is an MQL event; later ones in the same epoch are not (the lead is
    already an MQL). The definition is the macro `mql_crossing_candidates`, which calibration applies to other
    settings. -#}

with

score_history as (
    select * from {{ ref('int_contact_score_history') }}
),

configured_crossings as (
    {{ mql_crossing_candidates('score_history', [mql_setting()]) }}
)

select
    score_history_id,
    contact_id,
    instant_kind,
    kind_order,
    source_id,
    scored_at,
    requalification_epoch,
    fit_score,
    engagement_score,
    negative_score,
    total_score,
    fit_grade,
    engagement_band,
    qualification_type,
    is_first_in_epoch
from configured_crossings
