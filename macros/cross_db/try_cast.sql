{#- Cast text to a type, null (not an error) when the value does not fit: a malformed number in a raw export must
    quarantine or null one row, never fail the build. dbt's own safe_cast is a plain cast on some adapters. -#}
{% macro try_cast(expression, data_type) -%}
    {{ return(adapter.dispatch('try_cast', 'mql_warehouse')(expression, data_type)) }}
{%- endmacro %}

{% macro default__try_cast(expression, data_type) -%}
    {{ dbt.safe_cast(expression, data_type) }}
{%- endmacro %}

{% macro duckdb__try_cast(expression, data_type) -%}
    try_cast({{ expression }} as {{ data_type }})
{%- endmacro %}

{#- PostgreSQL has no try_cast: cast only text that looks like a number (as DuckDB reads it: optional sign,
    digits with optional fraction, optional exponent, surrounding spaces); anything else is null. Integer types
    round a fractional or exponent value half away from zero, as DuckDB does; a value beyond bigint is null. Other
    target types fall back to a plain cast. -#}
{% macro postgres__try_cast(expression, data_type) -%}
    {%- set kind = data_type | lower | trim -%}
    {%- set number = "'^[[:space:]]*[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?[[:space:]]*$'" -%}
    {%- if kind in ('bigint', 'integer', 'int', 'int4', 'int8', 'smallint') -%}
    (case when {{ expression }} ~ '^[[:space:]]*[+-]?[0-9]{1,18}[[:space:]]*$' then cast(trim({{ expression }}) as {{ data_type }})
          when {{ expression }} ~ {{ number }} and {{ expression }} !~ '[eE][+-]?[0-9]{4,}'
          then case when abs(cast(trim({{ expression }}) as numeric)) < 9000000000000000000
                    then cast(round(cast(trim({{ expression }}) as numeric)) as {{ data_type }}) end end)
    {%- elif kind.startswith(('float', 'double', 'real', 'numeric', 'decimal')) -%}
    (case when {{ expression }} ~ {{ number }} then cast(trim({{ expression }}) as {{ data_type }}) end)
    {%- else -%}
    cast({{ expression }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}
