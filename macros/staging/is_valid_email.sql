{#- True when an (already trimmed and lowercased) email has one '@', no spaces, and a dotted domain. Never null. -#}
{% macro is_valid_email(column) -%}
    coalesce({{ regexp_like(column, '^[^@[:space:]]+@[^@[:space:]]+[.][^@[:space:].]+$') }}, false)
{%- endmacro %}
