{#- The instant current scores are read at: var as_of when set, else the data's own "now" (which keeps a rebuild of
    the same data reproducible): the latest staged event, or for a data set without events the latest CRM record
    instant (`int_scoring_reference_time` documents the fallback and holds the value). -#}
{% macro scoring_reference_time() -%}
    {%- set as_of = scoring_config().as_of -%}
    {%- if as_of is not none -%}
        cast('{{ as_of }}' as timestamp)
    {%- else -%}
        (select reference_at from {{ ref('int_scoring_reference_time') }})
    {%- endif -%}
{%- endmacro %}
