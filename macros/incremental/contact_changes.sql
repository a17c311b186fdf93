{#- Incremental state of the event-volume models (`base_marketing__events`, `int_events_scored`,
    `int_contact_score_history`). Each row they write carries two markers:
      - `_batch_loaded_at`: the newest raw load (events, contacts, accounts, stage history) the build had seen, the
        high-water mark of the inputs;
      - `_state_fingerprint`: a hash of everything besides raw rows that changes what the models compute (every
        seed's checksum, the scoring vars, `future_tolerance_hours`, `timestamp_floor`).
    The next incremental build reprocesses only what changed since its own high-water mark: rows loaded after it
    (minus var `incremental_lookback_minutes`, for loaders whose load times are not in commit order), and for the
    contact-grained models every contact whose events, contact record, account, email group or sales decisions
    changed, recomputed whole. When the fingerprint differs (a rule, a seed or a var changed) the watermark is null
    and everything is recomputed, as a full refresh would. -#}

{#- Hash of the non-raw inputs; rows written under another fingerprint make the next build recompute everything. -#}
{% macro incremental_state_fingerprint() -%}
    {%- set parts = [] -%}
    {%- if execute -%}
        {%- for node in (graph.get('nodes') or {}).values() if node.resource_type == 'seed' -%}
            {%- do parts.append(node.unique_id ~ '=' ~ node.checksum.checksum) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- do parts.append('scoring=' ~ tojson(scoring_config(), sort_keys=true)) -%}
    {%- do parts.append('future_tolerance_hours=' ~ var('future_tolerance_hours')) -%}
    {%- do parts.append('timestamp_floor=' ~ var('timestamp_floor', none)) -%}
    {{ return(local_md5(parts | sort | join('|'))) }}
{%- endmacro %}

{#- The lookback in minutes, validated: a negative or non-integer value fails at compile time. -#}
{% macro incremental_lookback_minutes() -%}
    {%- set lookback = var('incremental_lookback_minutes', 0) -%}
    {%- if lookback is not number or lookback < 0 or lookback != lookback | int -%}
        {{ exceptions.raise_compiler_error("var incremental_lookback_minutes: must be a whole number of minutes >= 0, got '" ~ lookback ~ "' (dbt_project.yml vars or --vars)") }}
    {%- endif -%}
    {{ return(lookback | int) }}
{%- endmacro %}

{#- The relation holding every raw row of a scoring input (`events`, `contacts`, `accounts`, `lead_stage_history`)
    with its `_loaded_at`: the raw table itself (`from_source`, only for staging models) or its base model, which
    keeps every raw row (kept, duplicate or rejected) with ids trimmed and emails lower-cased. Models outside
    staging read the base models: only staging calls `source()`. A model whose use is compiled in only when
    `execute` (after parsing, e.g. in an incremental build) declares the base models with `-- depends_on:`. -#}
{% macro loaded_rows(table_name, from_source=false) -%}
    {%- set sources = {
        'events': ('marketing', 'events'),
        'contacts': ('crm', 'contacts'),
        'accounts': ('crm', 'accounts'),
        'lead_stage_history': ('crm', 'lead_stage_history'),
    } -%}
    {%- if table_name not in sources -%}
        {{ exceptions.raise_compiler_error("loaded_rows: unknown table '" ~ table_name ~ "' (one of " ~ sources.keys() | list | join(', ') ~ ")") }}
    {%- endif -%}
    {%- set source_name, raw_table = sources[table_name] -%}
    {{ return(source(source_name, raw_table) if from_source else ref('base_' ~ source_name ~ '__' ~ raw_table)) }}
{%- endmacro %}

{#- Scalar SQL: the newest raw load among the inputs of the scoring models (the batch a build covers), read from the
    raw tables (`from_source`, staging) or from their base models, which were built from them earlier in the run. -#}
{% macro raw_high_water_mark(from_source=false) -%}
    (
        select max(table_loads.loaded_at)
        from (
            {%- for table_name in ['events', 'contacts', 'accounts', 'lead_stage_history'] %}
            select max(_loaded_at) as loaded_at from {{ loaded_rows(table_name, from_source) }}
            {{- '' if loop.last else '\n            union all' }}
            {%- endfor %}
        ) as table_loads
    )
{%- endmacro %}

{#- The two marker columns, for the select list of an incremental model. `batch_relation`: take the batch from
    that incremental model (its newest batch) instead of the raw loads, for a model outside the scoring chain; it
    is the same value whenever that model was built in the same run. `from_source`: read the raw tables (staging
    only) instead of their base models. -#}
{% macro incremental_state_columns(batch_relation=none, from_source=false) -%}
    {%- if batch_relation is none %}
    {{ raw_high_water_mark(from_source) }} as _batch_loaded_at,
    {%- else %}
    (select max(_batch_loaded_at) from {{ batch_relation }}) as _batch_loaded_at,
    {%- endif %}
    cast('{{ incremental_state_fingerprint() }}' as {{ dbt.type_string() }}) as _state_fingerprint
{%- endmacro %}

{#- The high-water mark `relation` was built to, as a SQL timestamp literal, or none when it is empty or was built
    under another fingerprint (then everything is recomputed). Read once per model, before it runs (one query), so
    that the filters below compare with a constant: DuckDB then skips the row groups of older loads by their min/max
    statistics instead of evaluating a subquery per filter. -#}
{% macro incremental_watermark(relation) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {#- a table built before it carried the markers (an upgrade) has no state: recompute everything -#}
    {%- set marker_columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
    {%- if '_state_fingerprint' not in marker_columns or '_batch_loaded_at' not in marker_columns -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set fingerprint = incremental_state_fingerprint() -%}
    {%- set state_query -%}
        select
            case
                when min(_state_fingerprint) = '{{ fingerprint }}' and max(_state_fingerprint) = '{{ fingerprint }}'
                    then cast(max(_batch_loaded_at) as {{ dbt.type_string() }})
            end as watermark
        from {{ relation }}
    {%- endset -%}
    {%- set watermark = run_query(state_query).columns[0].values()[0] -%}
    {{ return(none if watermark is none else "cast('" ~ watermark ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}

{#- Predicate: the row (its `column`, a `_batch_loaded_at`) was written by a build after the one `watermark` comes
    from. With a lookback, a build can reprocess rows without the raw high-water mark moving (the late rows were
    stamped before it), so rows of the watermark's own batch count as new too (a superset: always exact). -#}
{% macro incremental_batch_is_new(column, watermark) -%}
    {{ column }} {{ '>=' if incremental_lookback_minutes() > 0 else '>' }} {{ watermark }}
{%- endmacro %}

{#- SQL: raw rows loaded after this instant are new (the `watermark` literal less the lookback). -#}
{% macro incremental_loaded_since(watermark) -%}
    {{ dbt.dateadd('minute', -1 * incremental_lookback_minutes(), watermark) }}
{%- endmacro %}

{#- SQL selecting the (trimmed) contact ids whose canonical contact may have changed since `since`: contacts with a
    row loaded since then or whose account has one, and every contact that shares (or shared) an email with them,
    since the email-duplicate merge regroups those. A contact's old canonical contact is in the set too: it shared
    the old email. Read from the raw tables (`from_source`, staging) or their base models (same rows, ids already
    trimmed and emails lower-cased, as the merge compares them). -#}
{% macro regrouped_contact_ids(since, from_source=false) -%}
    {%- set contacts = loaded_rows('contacts', from_source) -%}
    {%- set accounts = loaded_rows('accounts', from_source) -%}
    {%- set contact_id = 'trim(contact_id)' if from_source else 'contact_id' -%}
    {%- set contact_id_column = contact_id ~ (' as contact_id' if from_source else '') -%}
    {%- set account_id = 'trim(account_id)' if from_source else 'account_id' -%}
    {%- set email = 'lower(trim(email))' if from_source else 'email' -%}
    with
    touched as (
        select {{ contact_id_column }}
        from {{ contacts }}
        where _loaded_at > {{ since }}
        union
        select {{ contact_id_column }}
        from {{ contacts }}
        where {{ account_id }} in (
            select {{ account_id }} from {{ accounts }} where _loaded_at > {{ since }}
        )
    ),

    touched_emails as (
        select {{ email }}{{ ' as email' if from_source }}
        from {{ contacts }}
        where {{ contact_id }} in (select touched.contact_id from touched)
    )

    select touched.contact_id from touched
    union
    select {{ contact_id_column }}
    from {{ contacts }}
    where {{ email }} in (select touched_emails.email from touched_emails)
{%- endmacro %}

{#- True when raw contact or account rows were loaded after `since`: contacts may then have been regrouped. One
    query, before the model runs (none of the regrouping SQL is compiled in otherwise: an events-only delivery
    does not scan the raw events for regrouped contacts). -#}
{% macro raw_contacts_loaded_since(since) -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set loaded_query -%}
        select
            exists (select 1 from {{ source('crm', 'contacts') }} where _loaded_at > {{ since }})
            or exists (select 1 from {{ source('crm', 'accounts') }} where _loaded_at > {{ since }})
            as has_loaded
    {%- endset -%}
    {{ return(run_query(loaded_query).columns[0].values()[0]) }}
{%- endmacro %}

{#- SQL selecting the raw event rows the staged events (`relation`, built to `watermark` from
    `incremental_watermark`) must reprocess: all of them when `watermark` is none; otherwise rows loaded since, the
    rows of regrouped contacts (only when contact or account rows arrived), and every older row sharing an event
    id with a new one. The older rows are found by their trimmed id in `relation` and joined back to the raw table
    on the raw row identity, so no raw id is trimmed beyond the new rows. -#}
{% macro raw_events_to_reprocess(relation, watermark) -%}
    {%- set raw_events = source('marketing', 'events') -%}
    {%- if watermark is none -%}
    select * from {{ raw_events }}
    {%- else -%}
    {%- set since = incremental_loaded_since(watermark) -%}
    select new_rows.*
    from {{ raw_events }} as new_rows
    where
        new_rows._loaded_at > {{ since }}
        {%- if raw_contacts_loaded_since(since) %}
        or trim(new_rows.contact_id) in ({{ regrouped_contact_ids(since, from_source=true) }})
        {%- endif %}
    union
    select older_rows.*
    from {{ raw_events }} as older_rows
    inner join {{ relation }} as previous
        on
            older_rows._source_file = previous._source_file
            and older_rows._source_row = previous._source_row
    where previous.event_id in (
        select trim(new_events.event_id)
        from {{ raw_events }} as new_events
        where new_events._loaded_at > {{ since }}
    )
    {%- endif -%}
{%- endmacro %}

{#- SQL selecting the canonical contacts (`contact_id`) whose rows in `relation`, a contact-grained incremental
    model built to `watermark` (not none), must be recomputed: the current and previous owners of every staged event
    reprocessed since (`event_id_column` in `relation` holds the previous owner), regrouped contacts and their
    canonical contacts, and contacts with new sales decisions. Reads staged and base models only (the caller
    declares `base_crm__contacts`, `base_crm__accounts` and `base_crm__lead_stage_history` with `-- depends_on:`). -#}
{% macro changed_contacts(relation, event_id_column, watermark) -%}
    {%- set since = incremental_loaded_since(watermark) -%}
    with
    reprocessed_events as (
        select event_id, contact_id
        from {{ ref('base_marketing__events') }}
        where {{ incremental_batch_is_new('_batch_loaded_at', watermark) }}
    ),

    regrouped_contacts as (
        {{ regrouped_contact_ids(since) }}
    ),

    {#- stage-history rows carry the canonical contact already; unknown contacts (null) have no rows to recompute #}
    decided_contacts as (
        select contact_id
        from {{ loaded_rows('lead_stage_history') }}
        where _loaded_at > {{ since }} and contact_id is not null
    )

    select reprocessed_events.contact_id from reprocessed_events
    union
    select previous.contact_id
    from {{ relation }} as previous
    where previous.{{ event_id_column }} in (select reprocessed_events.event_id from reprocessed_events)
    union
    select regrouped_contacts.contact_id from regrouped_contacts
    union
    select contact_map.canonical_contact_id
    from {{ ref('stg_crm__contact_map') }} as contact_map
    where contact_map.contact_id in (select regrouped_contacts.contact_id from regrouped_contacts)
    union
    select decided_contacts.contact_id from decided_contacts
{%- endmacro %}

{#- Predicate: true for the contacts (`column`) to recompute in `relation`, built to `watermark`: all of them when
    it is none, else those `changed_contacts` selects. `changed_relation`, when given, is a CTE already holding
    `changed_contacts` (a model that filters several inputs computes it once). -#}
{% macro contacts_to_recompute(column, relation, event_id_column, watermark, changed_relation=none) -%}
    {%- if watermark is none -%}
    true
    {%- else -%}
    {{ column }} in (
        {%- if changed_relation is none %}
        {{ changed_contacts(relation, event_id_column, watermark) }}
        {%- else %}
        select {{ changed_relation }}.contact_id from {{ changed_relation }}
        {%- endif %}
    )
    {%- endif -%}
{%- endmacro %}

{#- Custom incremental strategy `replace_contacts` for contact-grained models: delete every row of the contacts
    `contacts_to_recompute` selects (evaluated before the delete, so it matches what the model selected, including
    contacts left with no rows), then insert the recomputed rows. Config `event_id_column` names the column that
    holds the event id. -#}
{% macro get_incremental_replace_contacts_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    delete from {{ target }}
    where {{ contacts_to_recompute('contact_id', target, config.require('event_id_column'),
                                   incremental_watermark(target)) }};

    {{ incremental_insert_sql(arg_dict) }}
{%- endmacro %}

{#- The insert that ends the custom strategies: every row of the model's select (`temp_relation`) into the table. -#}
{% macro incremental_insert_sql(arg_dict) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}

{#- Materialization of the event-volume models: `incremental` where the
    adapter can delete rows (DuckDB, PostgreSQL); a full `table` on Spark, whose Parquet tables have no row-level
    delete for `replace_contacts` and whose `insert_overwrite` cannot read the table it overwrites (the watermark
    and previous owners come from it). With Delta or Iceberg tables a `merge`-based version would be possible. -#}
{% macro event_volume_materialization() -%}
    {{ return(adapter.dispatch('event_volume_materialization', 'mql_warehouse')()) }}
{%- endmacro %}

{% macro default__event_volume_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__event_volume_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
