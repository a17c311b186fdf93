{#- Nothing is silently lost in staging: for one raw table, raw rows = rows in the staging model + duplicates
    removed + rows rejected, the last two counted in the quarantine model. Returns one row (the counts) on failure. -#}
{% test reconciles_with_source(model, source_name, table_name, quarantine_model) %}
{{ config(meta={"data_test_scope": "all"}) }}

with

raw_rows as (
    select count(*) as row_count from {{ source(source_name, table_name) }}
),

staged_rows as (
    select count(*) as row_count from {{ model }}
),

removed_rows as (
    select
        coalesce(sum(case when removal_kind = 'duplicate' then 1 else 0 end), 0) as duplicate_count,
        coalesce(sum(case when removal_kind = 'rejected' then 1 else 0 end), 0) as rejected_count
    from {{ quarantine_model }}
    where source_name = '{{ source_name }}' and source_table = '{{ table_name }}'
)

select
    raw_rows.row_count as raw_row_count,
    staged_rows.row_count as staged_row_count,
    removed_rows.duplicate_count,
    removed_rows.rejected_count
from raw_rows
cross join staged_rows
cross join removed_rows
where raw_rows.row_count <> staged_rows.row_count + removed_rows.duplicate_count + removed_rows.rejected_count

{% endtest %}
