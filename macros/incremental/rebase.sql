{#- The reference time (epoch microseconds, an int) `relation`'s rows were scored at, when a build may rebase them
    to the current one: none without a valid `watermark`, when the relation has no reference, or when the reference
    moved back (var as_of set earlier than before). One query, before the model runs. -#}
{% macro rebase_reference_us(relation, watermark) -%}
    {%- if watermark is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set reference_query -%}
        select
            {{ epoch_microseconds('(select max(scored_at) from ' ~ relation ~ ')') }} as previous_reference_us,
            {{ epoch_microseconds(scoring_reference_time()) }} as reference_us
    {%- endset -%}
    {%- set references = run_query(reference_query).rows[0] -%}
    {%- if references[0] is none or references[1] is none or references[1] < references[0] -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(references[0] | int) }}
{%- endmacro %}

{#- True when a `table` model may read its own previous build (`this`) while it is rebuilt: not under
    --full-refresh, and the adapter writes the new table beside the old one before swapping them (DuckDB,
    PostgreSQL). Spark replaces the table the select would read: false. -#}
{% macro previous_build_is_readable() -%}
    {{ return(adapter.dispatch('previous_build_is_readable', 'mql_warehouse')()) }}
{%- endmacro %}

{% macro default__previous_build_is_readable() -%}
    {{ return(execute and not should_full_refresh()) }}
{%- endmacro %}

{% macro spark__previous_build_is_readable() -%}
    {{ return(false) }}
{%- endmacro %}
