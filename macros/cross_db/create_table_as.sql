{#- PostgreSQL only: collect planner statistics right after dbt creates a table. dbt-postgres builds a table and the
    next models and tests read it at once, before autovacuum has analysed it; without statistics the planner
    takes the new table (and the views over it) for a one-row relation and picks nested loops that re-run whole
    views per row (a 300-contact fixture went from minutes to seconds with this). The table is otherwise exactly
    what dbt-postgres creates: this wraps its own macro. Other adapters are untouched (no version here). -#}
{% macro postgres__create_table_as(temporary, relation, sql) -%}
    {{ dbt.postgres__create_table_as(temporary, relation, sql) }}
    analyze {{ relation }};
{%- endmacro %}
