{#- `on-run-end` hook, on DuckDB:
    - every dbt command that can change models or seeds (run, build, seed, snapshot, retry) goes into
      `ops.dbt_invocations`. `mql refresh` builds only the descendants of changed raw tables when its own previous
      build was the last one; a build by hand in between (other vars, a partial selection) makes it build
      everything (`scripts/build_scope.py`);
    - every node result of those commands and of `dbt test` goes into `ops.dbt_node_results` (status, failures,
      seconds, message): the history of runs and tests stays in the warehouse, not only in the last
      `target/run_results.json`. -#}
{% macro record_dbt_invocation() -%}
    {%- if execute and target.type == 'duckdb' and flags.WHICH in ('run', 'build', 'seed', 'snapshot', 'retry', 'test') -%}
        create schema if not exists ops;
        create table if not exists ops.dbt_invocations (
            invocation_id varchar, command varchar, finished_at timestamp
        );
        create table if not exists ops.dbt_node_results (
            invocation_id varchar, command varchar, unique_id varchar, resource_type varchar, status varchar,
            failures bigint, execution_seconds double, message varchar, recorded_at timestamp
        );
        {%- if flags.WHICH != 'test' %}
        insert into ops.dbt_invocations values ('{{ invocation_id }}', '{{ flags.WHICH }}', current_timestamp);
        {%- endif %}
        {%- for result in results %}
        {%- if loop.first %}
        insert into ops.dbt_node_results values
        {%- endif %}
            ('{{ invocation_id }}', '{{ flags.WHICH }}', '{{ result.node.unique_id }}', '{{ result.node.resource_type }}',
             '{{ result.status }}', {{ result.failures if result.failures is number else 'null' }},
             {{ result.execution_time | round(3) }},
             {{ "'" ~ (result.message | string | replace("'", "''"))[:2000] ~ "'" if result.message else 'null' }},
             current_timestamp){{ ',' if not loop.last else ';' }}
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}
