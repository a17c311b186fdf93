{#- True when any of the timestamps lies more than var future_tolerance_hours after the row's load time (clock
    skew, bad exports, a CRM record "updated" in 2030 that would outrank every real update). `columns`: one
    expression or a list; a null timestamp is not future-dated. -#}
{% macro is_future_dated(columns, loaded_at) -%}
    {%- set columns = [columns] if columns is string else columns -%}
    ({% for column in columns %}{{ column }} > {{ loaded_at }} + interval '{{ var("future_tolerance_hours") }} hours'
    {%- if not loop.last %} or {% endif %}{% endfor %})
{%- endmacro %}
