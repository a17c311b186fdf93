{#- True when a timestamp lies more than var future_tolerance_hours after the row's load time (clock skew, bad
    exports). -#}
{% macro is_future_dated(column, loaded_at) -%}
    {{ column }} > {{ loaded_at }} + interval '{{ var("future_tolerance_hours") }} hours'
{%- endmacro %}
