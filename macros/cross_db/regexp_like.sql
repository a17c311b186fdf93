{#- True when the text matches the regular expression (POSIX-style, full match only when anchored). -#}
{% macro regexp_like(expression, pattern) -%}
    {{ return(adapter.dispatch('regexp_like', 'mql_warehouse')(expression, pattern)) }}
{%- endmacro %}

{% macro default__regexp_like(expression, pattern) -%}
    regexp_matches({{ expression }}, '{{ pattern }}')
{%- endmacro %}

{% macro postgres__regexp_like(expression, pattern) -%}
    ({{ expression }} ~ '{{ pattern }}')
{%- endmacro %}

{% macro spark__regexp_like(expression, pattern) -%}
    ({{ expression }} rlike '{{ mql_warehouse.spark__regex_literal(pattern) }}')
{%- endmacro %}

{#- Spark: a pattern written for DuckDB/PostgreSQL as the body of a Spark string literal. Spark string literals
    treat the backslash as an escape, so every backslash is doubled; Java regex has no POSIX bracket classes, so
    `[:space:]`, `[:alpha:]`, `[:digit:]`, `[:alnum:]`, `[:upper:]`, `[:lower:]`, `[:punct:]` become their Java
    `\p{...}` spelling (inside a bracket expression, as they are written). -#}
{% macro spark__regex_literal(pattern) -%}
    {%- set classes = {'space': 'Space', 'alpha': 'Alpha', 'digit': 'Digit', 'alnum': 'Alnum', 'upper': 'Upper',
                       'lower': 'Lower', 'punct': 'Punct'} -%}
    {%- set ns = namespace(text=pattern | replace('\\', '\\\\')) -%}
    {%- for posix, java in classes.items() -%}
        {%- set ns.text = ns.text | replace('[:' ~ posix ~ ':]', '\\\\p{' ~ java ~ '}') -%}
    {%- endfor -%}
    {{- ns.text -}}
{%- endmacro %}
