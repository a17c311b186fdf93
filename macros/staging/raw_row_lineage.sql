{#- The columns every base model carries from its raw row: load time, file and position (the row's identity,
    set by the loader) and a fingerprint of the contract columns to recognise exact copies. -#}
{% macro raw_row_lineage(source_relation, source_name, table_name) -%}
    {{ source_relation }}._loaded_at,
        {{ source_relation }}._source_file,
        {{ source_relation }}._source_row,
        {{ row_fingerprint(source_column_names(source_name, table_name), source_relation) }} as row_fingerprint
{%- endmacro %}
