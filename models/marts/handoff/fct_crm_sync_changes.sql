{#- One row per change a CRM should hear about a lead (`mql sync` delivers them; README "Sales handoff"): the lead
    became an MQL or re-qualified (fct_mql_events), its grade cell changed (fct_lead_score_history, the first grade
    included), or sales recycled or disqualified it (CRM stage records of fct_lead_stage_history). Each row has the
    values to write at that moment, the time the change became true, a `change_id` that names the change for good
    (lead, kind and the record behind it) and an `idempotency_key` over the change and the values it writes.

    The model is the warehouse's current truth, rebuilt with the marts: a late event that moves an MQL time keeps
    the MQL's change_id and gets a new idempotency_key (a correction of that change, not a second MQL). The
    delivery log of `mql sync` (outside the warehouse) sends each key once; a change_id it delivered that is no
    longer here is sent as a retraction. The key hashes only engine-stable text (epoch microseconds, points
    rounded to 1/1000), so DuckDB, PostgreSQL and Spark give the same keys. -#}

with

mql_events as (
    select * from {{ ref('fct_mql_events') }}
),

score_history as (
    select * from {{ ref('fct_lead_score_history') }}
),

stage_history as (
    select * from {{ ref('fct_lead_stage_history') }}
),

mql_changes as (
    select
        contact_id,
        case when mql_sequence = 1 then 'became_mql' else 'requalified' end as change_kind,
        mql_event_id as source_id,
        qualified_at as changed_at,
        'mql' as lifecycle_stage,
        mql_event_id,
        mql_sequence,
        grade_cell,
        fit_score,
        engagement_score,
        total_score
    from mql_events
),

grade_steps as (
    select
        contact_id,
        score_history_id,
        scored_at,
        grade_cell,
        fit_score,
        engagement_score,
        total_score,
        lag(grade_cell) over (
            partition by contact_id order by scored_at, kind_order, score_history_id
        ) as previous_grade_cell
    from score_history
),

grade_changes as (
    select
        contact_id,
        'grade_changed' as change_kind,
        score_history_id as source_id,
        scored_at as changed_at,
        cast(null as {{ dbt.type_string() }}) as lifecycle_stage,
        cast(null as {{ dbt.type_string() }}) as mql_event_id,
        cast(null as integer) as mql_sequence,
        grade_cell,
        fit_score,
        engagement_score,
        total_score
    from grade_steps
    where previous_grade_cell is null or grade_cell <> previous_grade_cell
),

sales_decisions as (
    select
        contact_id,
        lead_stage || '_by_sales' as change_kind,
        stage_entry_id as source_id,
        entered_at as changed_at,
        lead_stage as lifecycle_stage,
        cast(null as {{ dbt.type_string() }}) as mql_event_id,
        cast(null as integer) as mql_sequence,
        cast(null as {{ dbt.type_string() }}) as grade_cell,
        cast(null as {{ type_double() }}) as fit_score,
        cast(null as {{ type_double() }}) as engagement_score,
        cast(null as {{ type_double() }}) as total_score
    from stage_history
    where lead_stage in ('recycled', 'disqualified') and stage_source = 'crm_stage_history'
),

changes as (
    select * from mql_changes
    union all
    select * from grade_changes
    union all
    select * from sales_decisions
),

identified as (
    select
        changes.*,
        {{ dbt.concat(["changes.contact_id", "':'", "changes.change_kind", "':'", "changes.source_id"]) }} as change_id
    from changes
)

select
    change_id,
    {{ dbt.hash(dbt.concat([
        "change_id",
        "'|'", "cast(" ~ epoch_microseconds('changed_at') ~ " as " ~ dbt.type_string() ~ ")",
        "'|'", "coalesce(lifecycle_stage, '')",
        "'|'", "coalesce(grade_cell, '')",
        "'|'", "coalesce(cast(cast(round(fit_score * 1000) as bigint) as " ~ dbt.type_string() ~ "), '')",
        "'|'", "coalesce(cast(cast(round(engagement_score * 1000) as bigint) as " ~ dbt.type_string() ~ "), '')",
        "'|'", "coalesce(cast(cast(round(total_score * 1000) as bigint) as " ~ dbt.type_string() ~ "), '')",
    ])) }} as idempotency_key,
    contact_id,
    change_kind,
    source_id,
    changed_at,
    lifecycle_stage,
    mql_event_id,
    cast(mql_sequence as integer) as mql_sequence,
    grade_cell,
    cast(fit_score as {{ type_double() }}) as fit_score,
    cast(engagement_score as {{ type_double() }}) as engagement_score,
    cast(total_score as {{ type_double() }}) as total_score
from identified
