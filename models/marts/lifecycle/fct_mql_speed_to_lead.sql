{#- One row per MQL event (scoring engine; inferred MQLs have no exact time and are left out): the owner at the MQL
    time and their team, the first sales touch at or after the MQL (and before the next MQL of the lead), minutes to
    it, the SLA bucket (var speed_to_lead_sla_buckets_minutes, upper bounds inclusive: exactly 5 minutes is within
    5) and whether it met the SLA target (var speed_to_lead_sla_minutes). An untouched MQL is `never_touched`; it is
    measurable for the SLA once the target has passed at the reference time. -#}
{%- set buckets = var('speed_to_lead_sla_buckets_minutes') -%}
{%- set target = var('speed_to_lead_sla_minutes') -%}
{%- if buckets is string or buckets is mapping or buckets is not iterable or buckets | length == 0 -%}
{{ exceptions.raise_compiler_error("var speed_to_lead_sla_buckets_minutes: must be a list of minutes like [5, 60, 1440], got '" ~ buckets ~ "'") }}
{%- endif -%}
{%- for minutes in buckets if minutes is not number or minutes <= 0 -%}
{{ exceptions.raise_compiler_error("var speed_to_lead_sla_buckets_minutes: every bucket must be a positive number of minutes, got '" ~ minutes ~ "'") }}
{%- endfor -%}
{%- if target is not number or target <= 0 -%}
{{ exceptions.raise_compiler_error("var speed_to_lead_sla_minutes: must be a positive number of minutes, got '" ~ target ~ "'") }}
{%- endif -%}
{%- set buckets = buckets | sort %}

with

first_touches as (
    select * from {{ ref('int_mql_first_touches') }}
),

leads as (
    select * from {{ ref('dim_leads') }}
),

reps as (
    select * from {{ ref('stg_crm__sales_reps') }}
),

timed as (
    select
        first_touches.*,
        first_touches.seconds_to_first_touch / 60.0 as minutes_to_first_touch,
        leads.lead_source_channel,
        leads.original_campaign_id,
        leads.scored_at as reference_at
    from first_touches
    inner join leads
        on first_touches.contact_id = leads.contact_id
)

select
    timed.mql_event_id,
    timed.contact_id,
    cast(timed.mql_sequence as integer) as mql_sequence,
    timed.owner_id_at_mql,
    reps.team as owner_team,
    reps.region as owner_region,
    coalesce(timed.lead_source_channel, 'unknown') as lead_source_channel,
    timed.original_campaign_id,
    timed.first_touch_activity_id,
    timed.first_touch_owner_id,
    timed.first_touch_activity_type,
    cast(timed.minutes_to_first_touch as {{ type_double() }}) as minutes_to_first_touch,
    case
        when timed.first_touch_at is null then 'never_touched'
        {%- for minutes in buckets %}
        when timed.minutes_to_first_touch <= {{ minutes }} then 'within_{{ minutes }}_min'
        {%- endfor %}
        else 'over_{{ buckets | last }}_min'
    end as sla_bucket,
    cast(
        case
            when timed.first_touch_at is null then {{ buckets | length + 2 }}
            {%- for minutes in buckets %}
            when timed.minutes_to_first_touch <= {{ minutes }} then {{ loop.index }}
            {%- endfor %}
            else {{ buckets | length + 1 }}
        end as integer
    ) as sla_bucket_order,
    coalesce(timed.minutes_to_first_touch <= {{ target }}, false) as is_within_sla,
    timed.first_touch_at is null as is_never_touched,
    (
        timed.first_touch_at is not null
        or {{ epoch_microseconds('timed.reference_at') }} - {{ epoch_microseconds('timed.qualified_at') }}
        >= {{ (target * 60000000) | int }}
    ) as is_sla_measurable,
    coalesce(timed.first_touch_owner_id = timed.owner_id_at_mql, false) as is_touched_by_owner,
    cast({{ dbt.date_trunc('month', 'timed.qualified_at') }} as date) as qualified_month,
    timed.qualified_at,
    timed.first_touch_at,
    timed.reference_at
from timed
left join reps
    on timed.owner_id_at_mql = reps.owner_id
