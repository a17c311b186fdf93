{#- One row per account and instant its engagement can rise (an engagement event of one of its contacts), plus one
    row at the reference time: engagement depth (engagement points awarded to the account's contacts in the last
    var mqa_window_days days, after daily limits, without decay or caps) and breadth (distinct contacts with an
    engagement event in that window). Both windows include an event exactly mqa_window_days old.

    Breadth without a self-join: a contact is engaged from each event for the window's length, so its events form
    "spells" (events closer than the window merge); +1 at each spell start and -1 just after its end, summed in
    time order, is the number of engaged contacts at any instant. At the reference time both are plain sums over
    the events of the last window. Contacts belong to their current account.

    Incremental per account (`replace_accounts` strategy, `macros/incremental/account_changes.sql`): a build
    recomputes the history of the accounts whose contacts were rescored since the previous one, and the
    reference-time row of every account from the last window's events; everything when contacts or accounts
    arrived (a contact may have changed account). -#}
{%- set window_days = var('mqa_window_days') -%}
{%- if window_days is not number or window_days <= 0 -%}
{{ exceptions.raise_compiler_error("var mqa_window_days: must be a positive number of days, got '" ~ window_days ~ "'") }}
{%- endif -%}
{%- set window_us = (window_days * 86400000000) | int -%}
{%- set watermark = account_watermark(this) if is_incremental() else none -%}
-- depends_on: {{ ref('int_contact_score_history') }}, {{ ref('stg_crm__contacts') }}, {{ ref('stg_crm__accounts') }}
{{ config(
    materialized=event_volume_materialization(),
    incremental_strategy='replace_accounts',
    on_schema_change='append_new_columns',
) }}

with

scored_events as (
    select * from {{ ref('int_events_scored') }}
    where score_family = 'engagement' and awarded_points > 0
),

-- the same events for the reference-time rows, read apart: a CTE read twice is materialized whole
reference_window_events as (
    select * from {{ ref('int_events_scored') }}
    where score_family = 'engagement' and awarded_points > 0
),

leads as (
    select * from {{ ref('dim_leads') }}
    where account_id is not null
),

reference as (
    select
        max(scored_at) as reference_at,
        {{ epoch_microseconds('max(scored_at)') }} as reference_us
    from leads
),
{%- if watermark is not none %}

changed_accounts as (
    {{ changed_accounts(watermark) }}
),

-- accounts whose history is kept: they still have engagement rows
kept_accounts as (
    select distinct account_id from {{ this }}
    where
        not is_reference_instant
        and account_id not in (select changed_accounts.account_id from changed_accounts)
),
{%- endif %}

contact_events as (
    select
        leads.account_id,
        scored_events.contact_id,
        scored_events.event_id,
        {{ epoch_microseconds('scored_events.occurred_at') }} as time_us,
        min(scored_events.occurred_at) as occurred_at,
        sum(scored_events.awarded_points) as points
    from scored_events
    inner join leads
        on scored_events.contact_id = leads.contact_id
    {%- if watermark is not none %}
    where leads.account_id in (select changed_accounts.account_id from changed_accounts)
    {%- endif %}
    group by leads.account_id, scored_events.contact_id, scored_events.event_id, scored_events.occurred_at
),

contact_gaps as (
    select
        account_id,
        contact_id,
        time_us,
        case
            when
                lag(time_us) over (partition by contact_id order by time_us, event_id) is null
                or time_us - lag(time_us) over (partition by contact_id order by time_us, event_id) > {{ window_us }}
                then 1
            else 0
        end as is_spell_start
    from contact_events
),

contact_spells as (
    select
        account_id,
        contact_id,
        time_us,
        sum(is_spell_start) over (
            partition by contact_id order by time_us rows between unbounded preceding and current row
        ) as spell_number
    from contact_gaps
),

spells as (
    select
        account_id,
        contact_id,
        spell_number,
        min(time_us) as start_us,
        max(time_us) + {{ window_us }} as end_us
    from contact_spells
    group by account_id, contact_id, spell_number
),

engaged_accounts as (
    select distinct account_id from contact_events
    {%- if watermark is not none %}

    union all

    select account_id from kept_accounts
    {%- endif %}
),

-- every account's contacts' engagement in the window ending at the reference time
reference_contact_points as (
    select
        leads.account_id,
        reference_window_events.contact_id,
        sum(reference_window_events.awarded_points) as points
    from reference_window_events
    inner join leads
        on reference_window_events.contact_id = leads.contact_id
    cross join reference
    where
        {{ epoch_microseconds('reference_window_events.occurred_at') }} >= reference.reference_us - {{ window_us }}
        and {{ epoch_microseconds('reference_window_events.occurred_at') }} <= reference.reference_us
    group by leads.account_id, reference_window_events.contact_id
),

reference_accounts as (
    select
        account_id,
        sum(points) as engagement_points,
        count(*) as engaged_contacts
    from reference_contact_points
    group by account_id
),

reference_rows as (
    select
        engaged_accounts.account_id,
        reference.reference_us as time_us,
        reference.reference_at as engaged_at,
        true as is_reference_instant,
        0 as points,
        coalesce(reference_accounts.engagement_points, 0) as engagement_points,
        coalesce(reference_accounts.engaged_contacts, 0) as engaged_contacts
    from engaged_accounts
    cross join reference
    left join reference_accounts
        on engaged_accounts.account_id = reference_accounts.account_id
),

instants as (
    select
        account_id,
        time_us,
        min(occurred_at) as engaged_at,
        sum(points) as points
    from contact_events
    group by account_id, time_us
),

deltas as (
    select
        account_id,
        time_us,
        0 as contact_delta,
        points,
        false as is_reference_instant,
        engaged_at
    from instants

    union all

    select
        account_id,
        start_us as time_us,
        1 as contact_delta,
        0 as points,
        cast(null as boolean) as is_reference_instant,
        cast(null as {{ dbt.type_timestamp() }}) as engaged_at
    from spells

    union all

    select
        account_id,
        end_us + 1 as time_us,
        -1 as contact_delta,
        0 as points,
        cast(null as boolean) as is_reference_instant,
        cast(null as {{ dbt.type_timestamp() }}) as engaged_at
    from spells
),

windowed as (
    select
        account_id,
        time_us,
        engaged_at,
        is_reference_instant,
        points,
        sum(points) over (
            partition by account_id order by time_us range between {{ window_us }} preceding and current row
        ) as engagement_points,
        sum(contact_delta) over (
            partition by account_id order by time_us range between unbounded preceding and current row
        ) as engaged_contacts
    from deltas
),

account_instants as (
    select * from windowed
    where is_reference_instant is not null

    union all

    select * from reference_rows
)

select
    account_id || ':' || cast(time_us as {{ dbt.type_string() }})
    || case when is_reference_instant then ':reference' else '' end as account_engagement_id,
    account_id,
    engaged_at,
    is_reference_instant,
    cast(points as {{ type_double() }}) as points_at_instant,
    cast(engagement_points as {{ type_double() }}) as engagement_points_in_window,
    cast(engaged_contacts as {{ dbt.type_int() }}) as engaged_contacts_in_window,
    {{ incremental_state_columns(batch_relation=ref('int_events_scored')) }}
from account_instants
