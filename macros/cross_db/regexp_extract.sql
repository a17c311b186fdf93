{#- First capture group of the regular expression in the text; null (not empty) when nothing matches. -#}
{% macro regexp_extract(expression, pattern, group=1) -%}
    {{ return(adapter.dispatch('regexp_extract', 'mql_warehouse')(expression, pattern, group)) }}
{%- endmacro %}

{% macro default__regexp_extract(expression, pattern, group=1) -%}
    nullif(regexp_extract({{ expression }}, '{{ pattern }}', {{ group }}), '')
{%- endmacro %}

{% macro postgres__regexp_extract(expression, pattern, group=1) -%}
    nullif((regexp_match({{ expression }}, '{{ pattern }}'))[{{ group }}], '')
{%- endmacro %}

{#- Spark: regexp_extract returns '' when nothing matches (as DuckDB); the pattern goes through
    spark__regex_literal (Java regex, Spark string escapes). -#}
{% macro spark__regexp_extract(expression, pattern, group=1) -%}
    nullif(regexp_extract({{ expression }}, '{{ mql_warehouse.spark__regex_literal(pattern) }}', {{ group }}), '')
{%- endmacro %}
