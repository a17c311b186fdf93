{#- The event types the warehouse knows: the `event_type` column of the `event_types` seed, the one list that
    engagement rules and the `event_type_map` may name. [] while dbt parses. -#}
{% macro known_event_types() -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {{ return(rubric_rows('event_types') | map(attribute='event_type') | list) }}
{%- endmacro %}

{#- The problem of a seed cell naming an event type that is not one of `known` (known_event_types()), with what is
    allowed, for an error message. -#}
{% macro unknown_event_type(event_type, known) -%}
    {{ return("unknown event_type '" ~ event_type ~ "' (allowed: an event_type of " ~ _seed_file('event_types') ~ ": " ~ known | join(', ') ~ ")") }}
{%- endmacro %}

{#- The rows of the `event_type_map` seed (vendor spelling -> our event type), validated when a model or test
    compiles: a row whose target event type is not a known one fails naming the file, the line and the spelling.
    [] while dbt parses. -#}
{% macro event_type_map_rows() -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set known = known_event_types() -%}
    {%- set rows = rubric_rows('event_type_map') -%}
    {%- for row in rows if row.get('event_type') not in known -%}
        {{ exceptions.raise_compiler_error(row['_where'] ~ ' (raw_event_type ' ~ row.get('raw_event_type') ~ '): ' ~ unknown_event_type(row.get('event_type'), known)) }}
    {%- endfor -%}
    {{ return(rows) }}
{%- endmacro %}
