{#- Replace every match of the regular expression in the text (DuckDB and PostgreSQL need the 'g' flag, Spark
    replaces all matches by default). -#}
{% macro regexp_replace_all(expression, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'mql_warehouse')(expression, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{% macro spark__regexp_replace_all(expression, pattern, replacement) -%}
    regexp_replace({{ expression }}, '{{ mql_warehouse.spark__regex_literal(pattern) }}', '{{ replacement }}')
{%- endmacro %}
