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

{#- PostgreSQL: the same compact text DuckDB's json_object gives (`{"a":"x","b":null}`, keys in column order), built
    from to_json of each value, so quarantined raw values read the same on both engines. -#}
{% macro postgres__json_object_text(columns, relation=none) -%}
    ('{'
        {%- for column in columns %}
        || '"{{ column }}":' || coalesce(to_json({{ relation ~ '.' if relation }}{{ column }})::text, 'null'){{ " || ','" if not loop.last }}
        {%- endfor %}
    || '}')
{%- endmacro %}

{#- Spark: to_json of a named_struct gives the same compact text; ignoreNullFields=false keeps null values as
    `null` (Spark drops them by default). -#}
{% macro spark__json_object_text(columns, relation=none) -%}
    to_json(named_struct(
        {%- for column in columns %}
        '{{ column }}', {{ relation ~ '.' if relation }}{{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    ), map('ignoreNullFields', 'false'))
{%- endmacro %}
