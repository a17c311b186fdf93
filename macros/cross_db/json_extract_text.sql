{#- The value of key `key` of a JSON object held as text, as text (numbers and booleans as written), or null when
    the text is not a JSON object or has no such key. Keys are lowercase names (`^[a-z][a-z0-9_]*$`), checked by the
    callers. -#}
{% macro json_extract_text(expression, key) -%}
    {{ return(adapter.dispatch('json_extract_text', 'mql_warehouse')(expression, key)) }}
{%- endmacro %}

{% macro default__json_extract_text(expression, key) -%}
    (case when json_valid({{ expression }}) then json_extract_string({{ expression }}, '$."{{ key }}"') end)
{%- endmacro %}

{#- PostgreSQL (15 has no `is json`): text that starts with `{` and ends with `}` is read as JSON; staging passes
    only such text on (`json_object_or_null`). -#}
{% macro postgres__json_extract_text(expression, key) -%}
    (case when {{ expression }} ~ '^[[:space:]]*[{].*[}][[:space:]]*$' then cast({{ expression }} as json) ->> '{{ key }}' end)
{%- endmacro %}

{% macro spark__json_extract_text(expression, key) -%}
    get_json_object({{ expression }}, '$.{{ key }}')
{%- endmacro %}

{#- The text itself when it is a JSON object, else null: what staging keeps of an optional JSON column. -#}
{% macro json_object_or_null(expression) -%}
    {{ return(adapter.dispatch('json_object_or_null', 'mql_warehouse')(expression)) }}
{%- endmacro %}

{% macro default__json_object_or_null(expression) -%}
    (case when json_valid({{ expression }}) and json_type({{ expression }}) = 'OBJECT' then {{ expression }} end)
{%- endmacro %}

{#- PostgreSQL: a text shaped like an object whose parse would fail is rare in exports written by `mql import`;
    the regular expression only checks the outer braces and balanced quotes. -#}
{% macro postgres__json_object_or_null(expression) -%}
    (case when {{ expression }} ~ '^[[:space:]]*[{].*[}][[:space:]]*$'
        and length({{ expression }}) - length(replace({{ expression }}, '"', '')) > 0
        and mod(length({{ expression }}) - length(replace({{ expression }}, '"', '')), 2) = 0
        then {{ expression }} end)
{%- endmacro %}

{% macro spark__json_object_or_null(expression) -%}
    (case when from_json({{ expression }}, 'map<string,string>') is not null then {{ expression }} end)
{%- endmacro %}
