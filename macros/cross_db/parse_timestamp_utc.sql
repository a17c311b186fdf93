{#- Parse an ISO-8601 text timestamp into a UTC timestamp without time zone; null when it cannot be parsed.
    An explicit offset (+02:00, -0500, Z) is honoured; a value without one is taken as UTC. -#}
{% macro parse_timestamp_utc(expression) -%}
    {{ return(adapter.dispatch('parse_timestamp_utc', 'mql_warehouse')(expression)) }}
{%- endmacro %}

{% macro default__parse_timestamp_utc(expression) -%}
    cast({{ dbt.safe_cast(expression, api.Column.translate_type('timestamp')) }} as timestamp)
{%- endmacro %}

{% macro duckdb__parse_timestamp_utc(expression) -%}
    timezone('UTC', try_cast({{ expression }} as timestamptz))
{%- endmacro %}
