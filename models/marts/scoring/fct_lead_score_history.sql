{#- One row per lead and instant its score can change (creation, scoring event, fit change, sales recycle or
    disqualification): the point-in-time score history. The score of a lead at any time t is the row with the
    latest `scored_at` <= t, decayed further by time (see `fct_lead_score_components` for the current values).
    A view: the history is kept incrementally in `int_contact_score_history`, and publishing (`mql refresh`)
    copies it into the serving file as a table. `_batch_loaded_at` says which build last recomputed the row
    (its data tests check the latest batch, see `get_where_subquery`). The scores just before each instant, the
    first-instant flag and the fast-track flag are what `mql_crossing_candidates` needs to say at which instant a
    lead qualifies under any setting (calibration, `analyses/qualification_sweep.sql`). Why the score moved at an
    instant: the `*_score_change` columns, the event's type and the rules whose points changed
    (`changed_rule_ids`, labelled in `dim_scoring_rules`), computed in `int_contact_score_history`. -#}
{{ config(materialized='view') }}

with

score_history as (
    select * from {{ ref('int_contact_score_history') }}
)

select
    score_history_id,
    contact_id,
    instant_kind,
    kind_order,
    source_id,
    scored_at,
    fit_score,
    engagement_score,
    negative_score,
    total_score,
    fit_score_before,
    engagement_score_before,
    fit_score_change,
    engagement_score_change,
    total_score_change,
    event_type,
    changed_rule_ids,
    fit_grade,
    engagement_band,
    fit_grade || cast(engagement_band as {{ dbt.type_string() }}) as grade_cell,
    is_first_instant,
    has_fast_track_points,
    meets_threshold,
    is_fast_track_hit,
    requalification_epoch,
    is_disqualified,
    _batch_loaded_at
from score_history
