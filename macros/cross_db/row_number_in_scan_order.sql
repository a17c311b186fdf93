{#- Row number (from 1) in the order a table is read: for a seed table, the order of its CSV rows. Used to name the
    CSV line of a bad rule in error messages and to keep rules in file order. -#}
{% macro row_number_in_scan_order() -%}
    {{ return(adapter.dispatch('row_number_in_scan_order', 'mql_warehouse')()) }}
{%- endmacro %}

{% macro default__row_number_in_scan_order() -%}
    row_number() over ()
{%- endmacro %}

{#- Spark requires an ordered window for row_number: monotonically_increasing_id() follows the scan order (the seed
    is one small Parquet file written in CSV order). -#}
{% macro spark__row_number_in_scan_order() -%}
    row_number() over (order by monotonically_increasing_id())
{%- endmacro %}
