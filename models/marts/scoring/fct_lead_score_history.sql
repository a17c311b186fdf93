{#- One row per lead and instant its score can change (scoring event, fit change, sales recycle or
    disqualification): the point-in-time score history. The score of a lead at any time t is the row with the
    latest `scored_at` <= t, decayed further by time (see `fct_lead_score_components` for the current values).
    A view: the history is kept incrementally in `int_contact_score_history`, and publishing (`mql refresh`)
    copies it into the serving file as a table. `_batch_loaded_at` says which build last recomputed the row
    (its data tests check the latest batch, see `get_where_subquery`). -#}
{{ config(materialized='view') }}

with

score_history as (
    select * from {{ ref('int_contact_score_history') }}
)

select
    score_history_id,
    contact_id,
    instant_kind,
    source_id,
    scored_at,
    fit_score,
    engagement_score,
    negative_score,
    total_score,
    fit_grade,
    engagement_band,
    fit_grade || cast(engagement_band as {{ dbt.type_string() }}) as grade_cell,
    meets_threshold,
    is_fast_track_hit,
    requalification_epoch,
    is_disqualified,
    _batch_loaded_at
from score_history
