{#- Microseconds since 1970-01-01 of a timestamp (without time zone, UTC), as a bigint. -#}
{% macro epoch_microseconds(expression) -%}
    {{ return(adapter.dispatch('epoch_microseconds', 'mql_warehouse')(expression)) }}
{%- endmacro %}

{% macro default__epoch_microseconds(expression) -%}
    cast(extract(epoch from {{ expression }}) * 1000000 as bigint)
{%- endmacro %}

{% macro duckdb__epoch_microseconds(expression) -%}
    epoch_us({{ expression }})
{%- endmacro %}

{% macro spark__epoch_microseconds(expression) -%}
    unix_micros({{ expression }})
{%- endmacro %}
