{#- One row per lead (canonical contact created by the scoring reference time): firmographic and title attributes,
    current scores read at the reference time, the A1-D4 grade cell, the calibrated conversion probability of the
    total score (seed `score_probability`, read when the model compiles; null while it is empty) and its band, and
    MQL flags. No email or name: BI-safe. -#}
-- depends_on: {{ ref('score_probability') }}

with

current_attributes as (
    select * from {{ ref('int_contact_attributes') }}
    where valid_to is null
),

current_fit as (
    select * from {{ ref('int_contact_fit_scored') }}
    where valid_to is null
),

components as (
    select * from {{ ref('fct_lead_score_components') }}
),

mql_events as (
    select * from {{ ref('fct_mql_events') }}
),

sales_decision_instants as (
    select * from {{ ref('int_contact_score_history') }}
    where instant_kind = 'sales_decision'
),

event_scores as (
    select
        contact_id,
        sum(case when rule_kind = 'event' and score_family = 'engagement' then scored_points else 0 end)
            as positive_engagement_score,
        sum(case when rule_kind = 'event' and score_family = 'negative' then scored_points else 0 end)
            as negative_event_score
    from components
    group by contact_id
),

{# Only sales decisions change a lead's requalification epoch and disqualification, so its state now is the state
    at its latest decision (rows of one instant share it); a lead without decisions is in epoch 0, not disqualified.
    Ranking the few decision rows instead of the whole history keeps this linear in leads, not events. #}
latest_states as (
    select
        contact_id,
        requalification_epoch,
        is_disqualified,
        row_number() over (
            partition by contact_id
            order by time_us desc, kind_order desc, source_id desc
        ) as recency_rank
    from sales_decision_instants
),

mql_summary as (
    select
        contact_id,
        count(*) as mql_count,
        min(qualified_at) as first_mql_at,
        max(qualified_at) as latest_mql_at,
        max(requalification_epoch) as latest_mql_epoch
    from mql_events
    group by contact_id
),

scored as (
    select
        current_attributes.contact_id,
        coalesce(current_fit.fit_points, 0) as fit_score,
        coalesce(event_scores.positive_engagement_score, 0) + coalesce(event_scores.negative_event_score, 0)
            as engagement_score,
        coalesce(current_fit.negative_fit_points, 0) + coalesce(event_scores.negative_event_score, 0)
            as negative_score
    from current_attributes
    left join current_fit
        on current_attributes.contact_version_id = current_fit.contact_version_id
    left join event_scores
        on current_attributes.contact_id = event_scores.contact_id
),

calibrated_scores as (
    select
        contact_id,
        fit_score,
        engagement_score,
        negative_score,
        fit_score + engagement_score as total_score,
        {{ conversion_probability('fit_score + engagement_score') }} as conversion_probability
    from scored
)

select
    current_attributes.contact_id,
    {{ dbt.hash('current_attributes.contact_id') }} as contact_key,
    current_attributes.account_id,
    current_attributes.owner_id,
    current_attributes.original_campaign_id,
    current_attributes.lead_source_channel,
    current_attributes.seniority,
    current_attributes.job_function,
    current_attributes.industry,
    current_attributes.company_size_band,
    current_attributes.country_code,
    current_attributes.region,
    current_attributes.email_type,
    calibrated_scores.fit_score,
    calibrated_scores.engagement_score,
    calibrated_scores.negative_score,
    calibrated_scores.total_score,
    calibrated_scores.conversion_probability,
    {{ conversion_probability_band('calibrated_scores.conversion_probability') }} as conversion_probability_band,
    {{ fit_grade('calibrated_scores.fit_score') }} as fit_grade,
    {{ engagement_band('calibrated_scores.engagement_score') }} as engagement_band,
    {{ fit_grade('calibrated_scores.fit_score') }}
    || cast({{ engagement_band('calibrated_scores.engagement_score') }} as {{ dbt.type_string() }}) as grade_cell,
    {{ meets_mql_threshold('calibrated_scores.fit_score', 'calibrated_scores.engagement_score') }} as meets_threshold,
    coalesce(mql_summary.mql_count, 0) as mql_count,
    coalesce(
        mql_summary.latest_mql_epoch = coalesce(latest_states.requalification_epoch, 0)
        and not coalesce(latest_states.is_disqualified, false),
        false
    ) as is_mql,
    coalesce(mql_summary.mql_count, 0) > 0 as has_ever_been_mql,
    mql_summary.first_mql_at,
    mql_summary.latest_mql_at,
    current_attributes.created_at,
    {{ scoring_reference_time() }} as scored_at
from current_attributes
inner join calibrated_scores
    on current_attributes.contact_id = calibrated_scores.contact_id
left join mql_summary
    on current_attributes.contact_id = mql_summary.contact_id
left join latest_states
    on current_attributes.contact_id = latest_states.contact_id and latest_states.recency_rank = 1
