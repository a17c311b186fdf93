{#- A hash of a row's values (nulls included) to recognise exact duplicate rows. Not cryptographic.
    `relation` optionally qualifies the columns (when the query joins other relations). -#}
{% macro row_fingerprint(columns, relation=none) -%}
    {%- set qualified = [] -%}
    {%- for column in columns -%}
        {%- do qualified.append((relation ~ '.' if relation else '') ~ column) -%}
    {%- endfor -%}
    {{ return(adapter.dispatch('row_fingerprint', 'mql_warehouse')(qualified)) }}
{%- endmacro %}

{% macro default__row_fingerprint(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("coalesce(" ~ column ~ ", '<null>')") -%}
        {%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{% macro duckdb__row_fingerprint(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}
