{#- One row per MQL event: the lead's owner at the MQL time (the contact version valid then) and the first sales
    activity (call, email, meeting by any rep) at or after the MQL and before the lead's next MQL event. Activities
    before the MQL do not count (cold outreach is not a response to it). With var as_of, later activities are
    ignored. -#}

with

mql_events as (
    select * from {{ ref('fct_mql_events') }}
),

contact_versions as (
    select * from {{ ref('int_contact_attributes') }}
),

activities as (
    select * from {{ ref('stg_crm__sales_activities') }}
    where {{ as_of_filter('occurred_at') }}
),

mql_windows as (
    select
        mql_event_id,
        contact_id,
        mql_sequence,
        qualified_at,
        lead(qualified_at) over (partition by contact_id order by mql_sequence) as next_qualified_at
    from mql_events
),

owners_at_mql as (
    select
        mql_windows.mql_event_id,
        contact_versions.owner_id,
        row_number() over (
            partition by mql_windows.mql_event_id order by contact_versions.version_number desc
        ) as version_rank
    from mql_windows
    inner join contact_versions
        on
            mql_windows.contact_id = contact_versions.contact_id
            and (contact_versions.valid_from is null or mql_windows.qualified_at >= contact_versions.valid_from)
),

touches as (
    select
        mql_windows.mql_event_id,
        activities.activity_id,
        activities.owner_id,
        activities.activity_type,
        activities.occurred_at,
        row_number() over (
            partition by mql_windows.mql_event_id order by activities.occurred_at, activities.activity_id
        ) as touch_rank
    from mql_windows
    inner join activities
        on
            mql_windows.contact_id = activities.contact_id
            and mql_windows.qualified_at <= activities.occurred_at
            and (mql_windows.next_qualified_at is null or mql_windows.next_qualified_at > activities.occurred_at)
)

select
    mql_windows.mql_event_id,
    mql_windows.contact_id,
    mql_windows.mql_sequence,
    mql_windows.qualified_at,
    owners_at_mql.owner_id as owner_id_at_mql,
    touches.activity_id as first_touch_activity_id,
    touches.owner_id as first_touch_owner_id,
    touches.activity_type as first_touch_activity_type,
    touches.occurred_at as first_touch_at,
    cast(
        ({{ epoch_microseconds('touches.occurred_at') }} - {{ epoch_microseconds('mql_windows.qualified_at') }})
        / 1000000.0 as {{ type_double() }}
    ) as seconds_to_first_touch
from mql_windows
left join owners_at_mql
    on mql_windows.mql_event_id = owners_at_mql.mql_event_id and owners_at_mql.version_rank = 1
left join touches
    on mql_windows.mql_event_id = touches.mql_event_id and touches.touch_rank = 1
