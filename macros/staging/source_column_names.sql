{#- The column names of a raw table as the raw data contract (the sources YAML) declares them, in order. Staging
    uses this list to keep a quarantined row's raw values and to fingerprint rows, so the SQL never repeats the
    contract. Empty while dbt parses (the graph is not yet available). -#}
{% macro source_column_names(source_name, table_name) -%}
    {%- set names = [] -%}
    {%- if execute -%}
        {%- for node in graph.sources.values()
            if node.source_name == source_name and node.name == table_name -%}
            {%- for column in node.columns.values() -%}
                {%- do names.append(column.name) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- if names | length == 0 -%}
            {{ exceptions.raise_compiler_error(
                "source_column_names: source '" ~ source_name ~ "." ~ table_name
                ~ "' has no documented columns in models/staging/*/_*__sources.yml") }}
        {%- endif -%}
    {%- else -%}
        {%- do names.append('_source_row') -%}
    {%- endif -%}
    {{ return(names) }}
{%- endmacro %}
