{#- Every optional value staging could not use, in a row it otherwise kept: the raw text was there, the typed
    column is null (or took its default) because the text is not a number, boolean, time or JSON object, or is
    negative; an optional time before var timestamp_floor is listed too (kept, but likely a placeholder). Nothing is nulled silently: `mql summary` counts these by table, column and reason. A view: nothing
    is computed at build time, only when someone asks. Each check uses the macro the base model types the value
    with, so the two cannot disagree. -#}
{{ config(materialized='view' if target.type == 'duckdb' else 'table') }}
{%- set checks = [
    ('crm', 'contacts', 'base_crm__contacts', 'has_budget_authority', 'boolean'),
    ('crm', 'contacts', 'base_crm__contacts', 'is_deleted', 'boolean'),
    ('crm', 'contacts', 'base_crm__contacts', 'custom_attributes', 'json_object'),
    ('crm', 'accounts', 'base_crm__accounts', 'employee_count', 'non_negative_integer'),
    ('crm', 'accounts', 'base_crm__accounts', 'annual_revenue', 'non_negative_number'),
    ('crm', 'accounts', 'base_crm__accounts', 'custom_attributes', 'json_object'),
    ('crm', 'opportunities', 'base_crm__opportunities', 'amount', 'number'),
    ('crm', 'opportunities', 'base_crm__opportunities', 'is_won', 'boolean'),
    ('crm', 'opportunities', 'base_crm__opportunities', 'closed_at', 'timestamp'),
    ('crm', 'sales_reps', 'base_crm__sales_reps', 'is_active', 'boolean'),
    ('marketing', 'events', 'base_marketing__events', 'duration_seconds', 'non_negative_integer'),
    ('marketing', 'events', 'base_marketing__events', 'properties', 'json_object'),
    ('marketing', 'campaigns', 'base_marketing__campaigns', 'start_date', 'date'),
    ('marketing', 'campaigns', 'base_marketing__campaigns', 'end_date', 'date'),
] -%}

with

{% for source_name, table_name, base_model, column, kind in checks %}
{%- set raw_text = clean_text('raw_row.' ~ column) -%}
{%- set bigint_value = try_cast(raw_text, api.Column.translate_type('bigint')) -%}
{%- set double_value = try_cast(raw_text, type_double()) -%}
{%- set reasons = {
    'boolean': [(parse_boolean(raw_text) ~ ' is null', 'not_a_boolean')],
    'json_object': [(json_object_or_null(raw_text) ~ ' is null', 'not_a_json_object')],
    'date': [(parse_date(raw_text) ~ ' is null', 'not_a_date'),
             (is_before_floor(parse_date(raw_text)), 'before_floor')],
    'timestamp': [(parse_timestamp_utc(raw_text) ~ ' is null', 'not_a_timestamp'),
                  (is_before_floor(parse_timestamp_utc(raw_text)), 'before_floor')],
    'non_negative_integer': [(bigint_value ~ ' is null', 'not_a_number'), (bigint_value ~ ' < 0', 'negative')],
    'non_negative_number': [(double_value ~ ' is null', 'not_a_number'), (double_value ~ ' < 0', 'negative')],
    'number': [(double_value ~ ' is null', 'not_a_number')],
}[kind] -%}
{{ table_name }}__{{ column }} as (
    select
        '{{ table_name }}' as source_table,
        '{{ column }}' as column_name,
        raw_row.{{ column }} as raw_value,
        case
            {%- for condition, reason in reasons %}
            when {{ condition }} then '{{ reason }}'
            {%- endfor %}
        end as reason_code,
        base._source_file as source_file,
        base._source_row as source_row,
        base._loaded_at as loaded_at
    from {{ ref(base_model) }} as base
    inner join {{ source(source_name, table_name) }} as raw_row
        on base._source_file = raw_row._source_file and base._source_row = raw_row._source_row
    where base.rejection_reason is null and {{ raw_text }} is not null
),
{% endfor %}

checked_values as (
    {% for source_name, table_name, base_model, column, kind in checks %}
    select * from {{ table_name }}__{{ column }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    {{ dbt.hash(dbt.concat([
        "source_table", "'|'", "source_file", "'|'", "cast(source_row as " ~ dbt.type_string() ~ ")", "'|'",
        "column_name",
    ])) }} as quarantine_value_id,
    source_table,
    column_name,
    reason_code,
    raw_value,
    source_file,
    source_row,
    loaded_at
from checked_values
where reason_code is not null
