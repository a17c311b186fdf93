{#- The form in which raw codes are looked up in the mapping seeds: trimmed, lowercased, inner spaces folded. -#}
{% macro lookup_key(column) -%}
    nullif(lower(trim({{ regexp_replace_all(column, '[[:space:]]+', ' ') }})), '')
{%- endmacro %}
