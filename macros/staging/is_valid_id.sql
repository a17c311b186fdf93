{#- True when a raw identifier is usable as a key: letters, digits, '_', '-', '.', ':' after trimming, starting
    with a letter or digit, and not a spreadsheet placeholder such as 'null' or 'none'. Never null. -#}
{% macro is_valid_id(column) -%}
    coalesce(
        {{ regexp_like('trim(' ~ column ~ ')', '^[A-Za-z0-9][A-Za-z0-9_.:-]*$') }}
        and lower(trim({{ column }})) not in ('null', 'none', 'nan', 'undefined', 'nil'),
        false
    )
{%- endmacro %}
