{#- Spark only. The contracts (models/marts/*/_*__marts.yml) and seed column_types are written with the type names
    DuckDB and PostgreSQL share (`varchar`, `double precision`, `integer`, ...). Spark has no `double precision` and
    needs a length for `varchar`, so on Spark these names are translated to Spark's own (`string`, `double`, `int`)
    wherever dbt turns a declared type into SQL: the contract check's typed empty query (dbt's `cast`, used by
    get_empty_schema_sql) and the seed table DDL. Contracts stay enforced on Spark: column names and translated
    types must match the model's SQL exactly. -#}
{% macro spark__data_type(data_type) -%}
    {%- set names = {
        'varchar': 'string', 'text': 'string', 'character varying': 'string', 'string': 'string',
        'double precision': 'double', 'float8': 'double', 'double': 'double',
        'integer': 'int', 'int4': 'int', 'int': 'int', 'int8': 'bigint', 'bigint': 'bigint',
        'bool': 'boolean', 'boolean': 'boolean',
    } -%}
    {%- set key = data_type | trim | lower -%}
    {{- names.get(key, data_type) -}}
{%- endmacro %}

{#- Spark: dbt's `cast` with the declared type translated (spark__data_type); dbt builds a contract's typed empty
    query with it. -#}
{% macro spark__cast(field, type) -%}
    cast({{ field }} as {{ mql_warehouse.spark__data_type(type) }})
{%- endmacro %}

{#- Spark: dbt-spark's seed table DDL (its spark__create_csv_table, called unchanged) given the seed's column_types
    translated by spark__data_type. -#}
{% macro spark__create_csv_table(model, agate_table) -%}
    {{ return(dbt.spark__create_csv_table(mql_warehouse.spark__seed_with_spark_types(model), agate_table)) }}
{%- endmacro %}

{#- Spark: the seed rows as SQL literals. dbt-spark 1.11's session mode binds values by text substitution, so an
    empty CSV cell arrives as the string 'None' (not null) and a quote in a value breaks the statement; here every
    value is written as a literal (null, number, boolean, or an escaped string) cast to the column's Spark type. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set seed = mql_warehouse.spark__seed_with_spark_types(model) -%}
    {%- set column_override = seed['config'].get('column_types', {}) -%}
    {%- set types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- do types.append(column_override.get(col_name, mql_warehouse.spark__data_type(
            adapter.convert_type(agate_table, loop.index0)))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for value in row -%}
                    cast({{ mql_warehouse.spark__sql_literal(value) }} as {{ types[loop.index0] }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%}){%- if not loop.last %},{% endif %}
            {% endfor -%}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}

{#- Spark: a Python value of a seed row as a Spark SQL literal (string literals escape backslash and quote). -#}
{% macro spark__sql_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is sameas true or value is sameas false -%}
        {{ 'true' if value else 'false' }}
    {%- elif value is number -%}
        {{ value }}
    {%- else -%}
        '{{ value | string | replace('\\', '\\\\') | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}

{#- A copy of a seed node (as the seed materialization sees it) whose config.column_types are Spark type names. -#}
{% macro spark__seed_with_spark_types(model) -%}
    {%- set types = {} -%}
    {%- for name, data_type in (model['config'].get('column_types') or {}).items() -%}
        {%- do types.update({name: mql_warehouse.spark__data_type(data_type)}) -%}
    {%- endfor -%}
    {%- set config = {} -%}
    {%- do config.update(model['config']) -%}
    {%- do config.update({'column_types': types}) -%}
    {%- set copy = {} -%}
    {%- do copy.update(model) -%}
    {%- do copy.update({'config': config}) -%}
    {{ return(copy) }}
{%- endmacro %}
