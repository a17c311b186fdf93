{#- A JSON object (as text) of the given columns, keyed by column name: used to keep quarantined raw values.
    `relation` optionally qualifies the columns (when the query joins other relations). -#}
{% macro json_object_text(columns, relation=none) -%}
    {{ return(adapter.dispatch('json_object_text', 'mql_warehouse')(columns, relation)) }}
{%- endmacro %}

{% macro default__json_object_text(columns, relation=none) -%}
    cast(json_object(
        {%- for column in columns %}
        '{{ column }}', {{ relation ~ '.' if relation }}{{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    ) as {{ dbt.type_string() }})
{%- endmacro %}
