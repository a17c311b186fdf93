{#- `on-run-end` hook: on DuckDB, record every dbt command that can change models or seeds (run, build, seed,
    snapshot, retry) in `ops.dbt_invocations`. `mql refresh` builds only the descendants of changed raw tables when
    its own previous build was the last one; a build by hand in between (other vars, a partial selection) makes it
    build everything (`scripts/build_scope.py`). -#}
{% macro record_dbt_invocation() -%}
    {%- if execute and target.type == 'duckdb' and flags.WHICH in ('run', 'build', 'seed', 'snapshot', 'retry') -%}
        create schema if not exists ops;
        create table if not exists ops.dbt_invocations (
            invocation_id varchar, command varchar, finished_at timestamp
        );
        insert into ops.dbt_invocations values ('{{ invocation_id }}', '{{ flags.WHICH }}', current_timestamp);
    {%- endif -%}
{%- endmacro %}
