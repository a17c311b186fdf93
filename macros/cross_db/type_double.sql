{#- The 8-byte floating point type, for casts and seed column types: `double` on DuckDB and Spark, `double
    precision` on PostgreSQL (which has no `double`). dbt's own type_float() is a 4-byte `float` on DuckDB. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'mql_warehouse')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double
{%- endmacro %}

{% macro postgres__type_double() -%}
    double precision
{%- endmacro %}
