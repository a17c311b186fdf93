{#- Parse a YYYY-MM-DD text date; null when it cannot be parsed. -#}
{% macro parse_date(expression) -%}
    {{ return(adapter.dispatch('parse_date', 'mql_warehouse')(expression)) }}
{%- endmacro %}

{% macro default__parse_date(expression) -%}
    {{ dbt.safe_cast(expression, api.Column.translate_type('date')) }}
{%- endmacro %}

{#- As duckdb__parse_timestamp_utc: the text must start with a digit ('infinity', 'epoch' are no dates). -#}
{% macro duckdb__parse_date(expression) -%}
    (case when regexp_matches(trim({{ expression }}), '^[0-9]') then try_cast({{ expression }} as date) end)
{%- endmacro %}

{#- PostgreSQL: no try_cast, and its date input accepts other orders and words. As on DuckDB, a date may be followed
    by a time (and offset), which must then be valid too; the date is the written calendar date (no time zone
    shift). Same validation as postgres__parse_timestamp_utc. -#}
{% macro postgres__parse_date(expression) -%}
    (case when {{ mql_warehouse.postgres__parse_timestamp_utc(expression) }} is not null
        then cast(substr(trim({{ expression }}), 1, 10) as date) end)
{%- endmacro %}

{#- Spark: its date cast also accepts partial dates ('2025', '2025-01') that DuckDB rejects; same validation as
    spark__parse_timestamp_utc, then the written calendar date. -#}
{% macro spark__parse_date(expression) -%}
    (case when {{ mql_warehouse.spark__parse_timestamp_utc(expression) }} is not null
        then to_date(substr(trim({{ expression }}), 1, 10)) end)
{%- endmacro %}
