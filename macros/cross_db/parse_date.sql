{#- Parse a YYYY-MM-DD text date; null when it cannot be parsed. -#}
{% macro parse_date(expression) -%}
    {{ return(adapter.dispatch('parse_date', 'mql_warehouse')(expression)) }}
{%- endmacro %}

{% macro default__parse_date(expression) -%}
    {{ dbt.safe_cast(expression, api.Column.translate_type('date')) }}
{%- endmacro %}

{% macro duckdb__parse_date(expression) -%}
    try_cast({{ expression }} as date)
{%- endmacro %}
