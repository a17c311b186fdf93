{#- The keyword that makes a CTE materialized (computed once, before the query that reads it), so that a selective
    filter inside it runs before the joins that read it: `materialized` on DuckDB and PostgreSQL; nothing on Spark,
    which has no such keyword. Use it only where the CTE is small (an incremental build's changed rows). -#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte', 'mql_warehouse')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}
    materialized
{%- endmacro %}

{% macro spark__materialized_cte() -%}
{%- endmacro %}
