{#- Qualification under candidate MQL settings: for every setting listed in var `mql_settings` and every lead that
    would ever qualify under it, its first MQL time and MQL count, by the same definition a build with that setting
    applies (the macro `mql_crossing_candidates`, over the point-in-time score history). `mql calibrate`, its
    backtest and the report's threshold curve run this instead of re-deriving MQLs.

    Each setting is a mapping of the dbt vars that select it, plus an optional `setting_id` (default: its position):
      dbt compile --select qualification_sweep --vars '{mql_settings: [
        {setting_id: b60, qualification_mode: fit_and_engagement, mql_min_fit_grade: B, mql_engagement_threshold: 60},
        {setting_id: c80, qualification_mode: combined, mql_combined_threshold: 80}]}'
    then run target/compiled/mql_warehouse/analyses/qualification_sweep.sql against the built warehouse. Keys not
    given (fit bands, fast-track) are the build's vars. Without `mql_settings`: the configured setting, whose rows
    then equal `fct_mql_events` (first MQL and count per lead). -#}

with

score_history as (
    select * from {{ ref('fct_lead_score_history') }}
),

crossings as (
    {{ mql_crossing_candidates('score_history', mql_settings_from_var('mql_settings')) }}
)

select
    setting_id,
    contact_id,
    min(scored_at) as first_mql_at,
    count(*) as mql_count
from crossings
where is_first_in_epoch
group by setting_id, contact_id
