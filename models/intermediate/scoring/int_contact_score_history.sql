{#- The score of every contact at every instant it can change: its creation (the contact's `created_at`, so that
    every lead has a history, events or not), each scoring event, each change of its fit (a new contact version) and
    each recycle or disqualification by sales. Scores follow the contract in the README: per rule, the sum of its
    awarded points within the window, each halved every half-life since its event, then capped; engagement is the
    sum over rules. Between instants scores only fall, so threshold crossings happen only at these instants and
    their times are exact. Rows at the same instant are scored together. `is_first_instant` marks the lead's first
    instant (its creation, first fit or first event, whichever is first; sales decisions aside): nothing existed
    before it, so a lead that meets the setting there qualifies there (`met_threshold_before` is false). Who
    qualifies when is decided from these columns by `mql_crossing_candidates` (int_mql_crossings).

    Implementation: one window pass per contact (no self-join). Each capped rule gets its own column, uncapped
    rules sharing family, half-life and window share one (`score_columns`); decay uses the rebased
    cumulative-sum identity in `decayed_window_sum`, with ages counted from the contact's first event (earlier
    instants carry no points, so their age is taken as 0: no overflow for a contact created long before it was
    active). Each score is computed at the instant and just before it
    (what a crossing compares); the score just before is the same windowed sum less the points of the instant
    itself (their age is zero), capped again, so one window per column serves both.

    Incremental per contact (`replace_contacts` strategy, `macros/incremental/contact_changes.sql`): a build
    recomputes the whole history of every contact whose events, contact versions, account, email group or sales
    decisions changed since the previous build, so a late event corrects every later score and crossing.

    Why the score moved: the `*_score_change` columns are the score at the instant less the score just before it
    (summed column by column, so an instant that gave a column no points changes it by exactly 0), and
    `changed_rule_ids` lists the rules whose points changed at the instant. For an event, the rules it was awarded
    points by (after the daily limit) whose score column changed at the instant (a capped rule already at its cap
    adds nothing and is left out; rows at one instant are scored together, so two simultaneous events of a rule
    that the cap lets through partly both name it). Each event carries the rules that awarded it points through
    the window pass as one text, ',E01,E22,', and the list is written after it, rule by rule in code point order,
    so no second pass over the events is needed. For a fit change, the fit rules gained or lost
    (`int_contact_fit_scored`). -#}
{%- set columns = score_columns(engagement_rules()) -%}
{%- set engagement_columns = columns | selectattr('family', 'equalto', 'engagement') | list -%}
{%- set negative_columns = columns | selectattr('family', 'equalto', 'negative') | list -%}
{%- set watermark = incremental_watermark(this) if is_incremental() else none -%}
{%- set recompute = watermark is not none -%}
-- depends_on: {{ ref('base_marketing__events') }}, {{ ref('stg_crm__contact_map') }}
-- depends_on: {{ ref('base_crm__contacts') }}, {{ ref('base_crm__accounts') }}
-- depends_on: {{ ref('base_crm__lead_stage_history') }}
{{ config(
    materialized=event_volume_materialization(),
    incremental_strategy='replace_contacts',
    event_id_column='source_id',
    on_schema_change='fail',
) }}

with
{%- if recompute %}

changed_contacts as (
    {{ changed_contacts(this, 'source_id', watermark) }}
),
{%- endif %}

scored_events as (
    select * from {{ ref('int_events_scored') }}
    {%- if recompute %}
    where {{ contacts_to_recompute('contact_id', this, 'source_id', watermark, 'changed_contacts') }}
    {%- endif %}
),

fit_versions as (
    select * from {{ ref('int_contact_fit_scored') }}
    {%- if recompute %}
    where {{ contacts_to_recompute('contact_id', this, 'source_id', watermark, 'changed_contacts') }}
    {%- endif %}
),

first_versions as (
    select * from {{ ref('int_contact_attributes') }}
    where
        version_number = 1
        and {{ contacts_to_recompute('contact_id', this, 'source_id', watermark, 'changed_contacts') }}
),

sales_decisions as (
    select * from {{ ref('stg_crm__lead_stage_history') }}
    where
        lead_stage in ('recycled', 'disqualified')
        and {{ as_of_filter('changed_at') }}
        and {{ contacts_to_recompute('contact_id', this, 'source_id', watermark, 'changed_contacts') }}
),

event_points as (
    select
        contact_id,
        event_id,
        event_type,
        occurred_at,
        {%- for column in columns %}
        sum(case when rule_id in ('{{ column.rule_ids | join("', '") }}') then awarded_points else 0 end)
            as points_{{ column.name }},
        {%- endfor %}
        max(case when is_fast_track and awarded_points > 0 then 1 else 0 end) = 1 as has_fast_track_points,
        -- the rules the event was awarded points by, as ',E01,E22,' (null when none)
        ',' || {{ sorted_string_agg('case when awarded_points <> 0 then rule_id end') }} || ',' as awarded_rule_list
    from scored_events
    group by contact_id, event_id, event_type, occurred_at
),

first_fit as (
    select
        contact_id,
        fit_points,
        negative_fit_points
    from fit_versions
    where version_number = 1
),

fit_changes as (
    select
        contact_id,
        contact_version_id,
        valid_from,
        fit_points - lag(fit_points) over (partition by contact_id order by version_number) as fit_delta,
        negative_fit_points - lag(negative_fit_points) over (partition by contact_id order by version_number)
            as negative_fit_delta,
        changed_rule_ids,
        version_number
    from fit_versions
),

timeline as (
    select
        contact_id,
        'event' as instant_kind,
        3 as kind_order,
        event_id as source_id,
        occurred_at as scored_at,
        {%- for column in columns %}
        points_{{ column.name }},
        {%- endfor %}
        has_fast_track_points,
        0.0 as fit_delta,
        0.0 as negative_fit_delta,
        0 as is_recycle,
        0 as is_disqualification,
        event_type,
        awarded_rule_list,
        cast(null as {{ dbt.type_string() }}) as fit_changed_rule_ids
    from event_points
    union all
    select
        contact_id,
        'fit_change' as instant_kind,
        2 as kind_order,
        contact_version_id as source_id,
        valid_from as scored_at,
        {%- for column in columns %}
        0.0 as points_{{ column.name }},
        {%- endfor %}
        false as has_fast_track_points,
        fit_delta,
        negative_fit_delta,
        0 as is_recycle,
        0 as is_disqualification,
        cast(null as {{ dbt.type_string() }}) as event_type,
        cast(null as {{ dbt.type_string() }}) as awarded_rule_list,
        changed_rule_ids as fit_changed_rule_ids
    from fit_changes
    where version_number > 1
    union all
    select
        contact_id,
        'sales_decision' as instant_kind,
        1 as kind_order,
        stage_change_id as source_id,
        changed_at as scored_at,
        {%- for column in columns %}
        0.0 as points_{{ column.name }},
        {%- endfor %}
        false as has_fast_track_points,
        0.0 as fit_delta,
        0.0 as negative_fit_delta,
        case when lead_stage = 'recycled' then 1 else 0 end as is_recycle,
        case when lead_stage = 'disqualified' then 1 else 0 end as is_disqualification,
        cast(null as {{ dbt.type_string() }}) as event_type,
        cast(null as {{ dbt.type_string() }}) as awarded_rule_list,
        cast(null as {{ dbt.type_string() }}) as fit_changed_rule_ids
    from sales_decisions
    union all
    select
        contact_id,
        'created' as instant_kind,
        0 as kind_order,
        contact_version_id as source_id,
        created_at as scored_at,
        {%- for column in columns %}
        0.0 as points_{{ column.name }},
        {%- endfor %}
        false as has_fast_track_points,
        0.0 as fit_delta,
        0.0 as negative_fit_delta,
        0 as is_recycle,
        0 as is_disqualification,
        cast(null as {{ dbt.type_string() }}) as event_type,
        cast(null as {{ dbt.type_string() }}) as awarded_rule_list,
        cast(null as {{ dbt.type_string() }}) as fit_changed_rule_ids
    from first_versions
),

timed as (
    select
        timeline.*,
        {{ epoch_microseconds('timeline.scored_at') }} as time_us,
        coalesce(
            greatest(
                {{ epoch_microseconds('timeline.scored_at') }}
                - min(
                    case when timeline.instant_kind = 'event' then {{ epoch_microseconds('timeline.scored_at') }} end
                ) over (partition by timeline.contact_id),
                0
            ),
            0
        )
        / 86400000000.0 as age_days,
        coalesce(
            {{ epoch_microseconds('timeline.scored_at') }}
            = min(
                case
                    when timeline.instant_kind <> 'sales_decision'
                        then {{ epoch_microseconds('timeline.scored_at') }}
                end
            ) over (partition by timeline.contact_id),
            false
        ) as is_first_instant
    from timeline
),

window_sums as (
    select
        contact_id,
        instant_kind,
        kind_order,
        source_id,
        scored_at,
        time_us,
        is_first_instant,
        has_fast_track_points,
        event_type,
        awarded_rule_list,
        fit_changed_rule_ids,
        {%- for column in columns %}
        {{ decayed_window_sum('points_' ~ column.name, column) }} as sum_{{ column.name }},
        sum(points_{{ column.name }}) over instant as instant_{{ column.name }},
        {%- endfor %}
        coalesce(sum(fit_delta) over instant_and_before, 0) as fit_delta_total,
        coalesce(sum(fit_delta) over strictly_before, 0) as fit_delta_total_before,
        coalesce(sum(fit_delta) over instant, 0) as fit_delta_instant,
        coalesce(sum(negative_fit_delta) over instant_and_before, 0) as negative_fit_delta_total,
        coalesce(sum(is_recycle) over instant_and_before, 0) as recycle_count,
        max(case when is_recycle = 1 then time_us end) over instant_and_before as last_recycle_us,
        max(case when is_disqualification = 1 then time_us end) over instant_and_before as last_disqualification_us
    from timed
    window
        -- the rows at the same instant (scored together); the same partition and order as every other window here,
        -- so one sort serves them all
        instant as (
            partition by contact_id order by time_us range between current row and current row
        ),
        instant_and_before as (
            partition by contact_id order by time_us range between unbounded preceding and current row
        ),
        strictly_before as (
            partition by contact_id order by time_us range between unbounded preceding and 1 preceding
        )
),

capped_sums as (
    select
        {%- for column in columns %}
        {{ capped('sum_' ~ column.name, column.max_points) }} as score_{{ column.name }},
        {{ capped('sum_' ~ column.name ~ ' - instant_' ~ column.name, column.max_points) }} as before_{{ column.name }},
        {%- endfor %}
        window_sums.*
    from window_sums
),

scores as (
    select
        window_sums.contact_id,
        window_sums.instant_kind,
        window_sums.kind_order,
        window_sums.source_id,
        window_sums.scored_at,
        window_sums.time_us,
        window_sums.is_first_instant,
        window_sums.has_fast_track_points,
        window_sums.event_type,
        window_sums.fit_changed_rule_ids,
        {#- the rules in code point order (as sorted_string_agg sorts): each one the event was awarded points by,
            unless it is capped and its score column did not change at the instant (by more than float rounding);
            an uncapped rule adds its awarded points exactly -#}
        {%- set rule_columns = {} %}
        {%- for column in columns %}
        {%- for rule_id in column.rule_ids %}
        {%- do rule_columns.update({rule_id: column}) %}
        {%- endfor %}
        {%- endfor %}
        ''
        {%- for rule_id in rule_columns | sort %}
        {%- set column = rule_columns[rule_id] %}
        || case
            when {{ dbt.position("'," ~ rule_id ~ ",'", 'window_sums.awarded_rule_list') }} > 0
                {%- if column.max_points is not none %}
                and abs(window_sums.score_{{ column.name }} - window_sums.before_{{ column.name }}) > 1e-9
                {%- endif %}
                then ',{{ rule_id }}'
            else ''
        end
        {%- endfor %} as event_rule_list,
        coalesce(first_fit.fit_points, 0) + window_sums.fit_delta_total as fit_score,
        coalesce(first_fit.fit_points, 0) + window_sums.fit_delta_total_before as fit_score_before,
        0.0
        {%- for column in engagement_columns %}
        + window_sums.score_{{ column.name }}
        {%- endfor %} as positive_engagement_score,
        0.0
        {%- for column in negative_columns %}
        + window_sums.score_{{ column.name }}
        {%- endfor %} as negative_event_score,
        0.0
        {%- for column in columns %}
        + window_sums.before_{{ column.name }}
        {%- endfor %} as engagement_score_before,
        {#- the change column by column: exactly 0 for a column the instant gave no points (the score less the
            score before, summed otherwise, leaves float rounding of the decayed sums) -#}
        0.0
        {%- for column in columns %}
        + (window_sums.score_{{ column.name }} - window_sums.before_{{ column.name }})
        {%- endfor %} as engagement_score_change,
        window_sums.fit_delta_instant as fit_score_change,
        coalesce(first_fit.negative_fit_points, 0) + window_sums.negative_fit_delta_total as negative_fit_score,
        window_sums.recycle_count,
        window_sums.last_disqualification_us is not null
        and (
            window_sums.last_recycle_us is null
            or window_sums.last_disqualification_us > window_sums.last_recycle_us
        ) as is_disqualified
    from capped_sums as window_sums
    left join first_fit
        on window_sums.contact_id = first_fit.contact_id
)

select
    contact_id || ':' || instant_kind || ':' || source_id as score_history_id,
    contact_id,
    instant_kind,
    kind_order,
    source_id,
    scored_at,
    time_us,
    fit_score,
    positive_engagement_score + negative_event_score as engagement_score,
    negative_fit_score + negative_event_score as negative_score,
    fit_score + positive_engagement_score + negative_event_score as total_score,
    {{ fit_grade('fit_score') }} as fit_grade,
    {{ engagement_band('positive_engagement_score + negative_event_score') }} as engagement_band,
    fit_score_before,
    engagement_score_before,
    event_type,
    cast(fit_score_change as {{ type_double() }}) as fit_score_change,
    cast(engagement_score_change as {{ type_double() }}) as engagement_score_change,
    cast(fit_score_change + engagement_score_change as {{ type_double() }}) as total_score_change,
    case
        when instant_kind = 'fit_change' then fit_changed_rule_ids
        when event_rule_list <> '' then substring(event_rule_list, 2)
    end as changed_rule_ids,
    is_first_instant,
    has_fast_track_points,
    {{ meets_mql_threshold('fit_score', 'positive_engagement_score + negative_event_score') }} as meets_threshold,
    not is_first_instant
    and {{ meets_mql_threshold('fit_score_before', 'engagement_score_before') }} as met_threshold_before,
    {{ meets_fast_track('has_fast_track_points', 'fit_score') }} as is_fast_track_hit,
    cast(recycle_count as bigint) as requalification_epoch,
    is_disqualified,
    {{ incremental_state_columns() }}
from scores
