{#- True when any of the timestamps or dates lies before var timestamp_floor (a YYYY-MM-DD date): placeholder
    dates such as 0001-01-01, 1900-01-01 or the Unix epoch that exports write for "unknown". `columns`: one
    expression or a list; a null value is not before the floor. A malformed var fails compilation naming it. -#}
{% macro is_before_floor(columns) -%}
    {%- set floor = var('timestamp_floor', none) | string | trim -%}
    {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', floor) -%}
        {{ exceptions.raise_compiler_error("var timestamp_floor: must be a date like '1980-01-01', got '" ~ floor ~ "' (dbt_project.yml vars or --vars)") }}
    {%- endif -%}
    {%- set columns = [columns] if columns is string else columns -%}
    ({% for column in columns %}{{ column }} < cast('{{ floor }}' as {{ api.Column.translate_type('timestamp') }})
    {%- if not loop.last %} or {% endif %}{% endfor %})
{%- endmacro %}
