{#- Aggregate: the non-null values of `expression` (text) sorted by code point and joined with `delimiter`; null
    when there are none. dbt's listagg cannot sort on Spark and PostgreSQL would sort by the database's collation,
    so the same ids could come out in another order on another warehouse. -#}
{% macro sorted_string_agg(expression, delimiter=',') -%}
    {{ return(adapter.dispatch('sorted_string_agg', 'mql_warehouse')(expression, delimiter)) }}
{%- endmacro %}

{% macro default__sorted_string_agg(expression, delimiter) -%}
    string_agg({{ expression }}, '{{ delimiter }}' order by {{ expression }})
{%- endmacro %}

{% macro postgres__sorted_string_agg(expression, delimiter) -%}
    string_agg({{ expression }}, '{{ delimiter }}' order by {{ expression }} collate "C")
{%- endmacro %}

{#- collect_list skips nulls; an empty list joins to '', which is null here as elsewhere -#}
{% macro spark__sorted_string_agg(expression, delimiter) -%}
    nullif(array_join(array_sort(collect_list({{ expression }})), '{{ delimiter }}'), '')
{%- endmacro %}
