{#- The instant current scores are read at: var as_of when set, else the latest staged event (the data's "now",
    which keeps a rebuild of the same data reproducible). -#}
{% macro scoring_reference_time() -%}
    {%- set as_of = scoring_config().as_of -%}
    {%- if as_of is not none -%}
        cast('{{ as_of }}' as timestamp)
    {%- else -%}
        (select max(occurred_at) from {{ ref('stg_marketing__events') }})
    {%- endif -%}
{%- endmacro %}
