{#- Cast text to a type, null (not an error) when the value does not fit: a malformed number in a raw export must
    quarantine or null one row, never fail the build. dbt's own safe_cast is a plain cast on some adapters.
    A floating-point result is finite and of magnitude below 1e300, or null: 'NaN', 'Infinity' and '1e309' never
    reach a sum, where one of them would poison every total it enters; a magnitude below 1e-300 is 0 on every
    engine (`finite_float`). -#}
{% macro try_cast(expression, data_type) -%}
    {{ return(adapter.dispatch('try_cast', 'mql_warehouse')(expression, data_type)) }}
{%- endmacro %}

{% macro default__try_cast(expression, data_type) -%}
    {{ dbt.safe_cast(expression, data_type) }}
{%- endmacro %}

{% macro duckdb__try_cast(expression, data_type) -%}
    {%- if mql_warehouse.is_float_type(data_type) -%}
    {{ mql_warehouse.finite_float('try_cast(' ~ expression ~ ' as ' ~ data_type ~ ')', data_type) }}
    {%- else -%}
    try_cast({{ expression }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}

{#- Whether a type name is a floating-point type (the ones `finite_float` guards). -#}
{% macro is_float_type(data_type) -%}
    {{ return((data_type | lower | trim).startswith(('float', 'double', 'real'))) }}
{%- endmacro %}

{#- `value` (a number of `data_type`, evaluated more than once) when finite and of magnitude below 1e300, 0 below
    1e-300, else null (NaN and infinities compare above every number on DuckDB and Spark, so they fail both). -#}
{% macro finite_float(value, data_type) -%}
    (case when abs({{ value }}) < 1e-300 then cast(0 as {{ data_type }})
          when abs({{ value }}) < 1e300 then {{ value }} end)
{%- endmacro %}

{#- PostgreSQL has no try_cast: cast only text that looks like a number (as DuckDB reads it: optional sign,
    digits with optional fraction, optional exponent, surrounding spaces); anything else is null. Integer types
    round a fractional or exponent value half away from zero, as DuckDB does; a value beyond bigint is null. Other
    target types fall back to a plain cast. -#}
{% macro postgres__try_cast(expression, data_type) -%}
    {%- set kind = data_type | lower | trim -%}
    {%- set number = "'^[[:space:]]*[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?[[:space:]]*$'" -%}
    {%- if kind in ('bigint', 'integer', 'int', 'int4', 'int8', 'smallint') -%}
    (case when {{ expression }} ~ '^[[:space:]]*[+-]?[0-9]{1,18}[[:space:]]*$' then cast(trim({{ expression }}) as {{ data_type }})
          when {{ expression }} ~ {{ number }} and {{ expression }} !~ '[eE][+-]?[0-9]{4,}'
          then case when abs(cast(trim({{ expression }}) as numeric)) < 9000000000000000000
                    then cast(round(cast(trim({{ expression }}) as numeric)) as {{ data_type }}) end end)
    {%- elif mql_warehouse.is_float_type(data_type) -%}
    {#- through numeric (exact, no overflow error), exponents of up to 4 digits; a longer one is 0 or too large -#}
    {%- set exact = 'cast(trim(' ~ expression ~ ') as numeric)' -%}
    (case when {{ expression }} ~ {{ number }} and {{ expression }} !~ '[eE][+-]?[0-9]{5,}'
          then case when abs({{ exact }}) < 1e-300 then cast(0 as {{ data_type }})
                    when abs({{ exact }}) < 1e300 then cast({{ exact }} as {{ data_type }}) end
          when {{ expression }} ~ {{ number }} and {{ expression }} ~ '[eE]-[0-9]{5,}' then cast(0 as {{ data_type }})
     end)
    {%- elif kind.startswith(('numeric', 'decimal')) -%}
    (case when {{ expression }} ~ {{ number }} then cast(trim({{ expression }}) as {{ data_type }}) end)
    {%- else -%}
    cast({{ expression }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}

{#- Spark (dbt-spark runs it with ANSI mode off): try_cast exists, but its integer cast truncates or rejects a
    fractional text ('1.5' -> null, DuckDB: 2) and its double cast reads words ('NaN', 'Infinity') DuckDB rejects.
    Same rules as postgres__try_cast: a number-shaped text only, integers rounded half away from zero (via
    decimal, so no float rounding), beyond bigint null. Other target types use try_cast as is. -#}
{% macro spark__try_cast(expression, data_type) -%}
    {%- set kind = data_type | lower | trim -%}
    {%- set number = "'^[ \\\\t\\\\n\\\\r]*[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?[ \\\\t\\\\n\\\\r]*$'" -%}
    {%- if kind in ('bigint', 'integer', 'int', 'smallint', 'long') -%}
    (case when {{ expression }} rlike {{ number }} and not {{ expression }} rlike '[eE][+-]?[0-9]{4,}'
          then try_cast(round(try_cast(trim({{ expression }}) as decimal(38, 6))) as {{ data_type }}) end)
    {%- elif mql_warehouse.is_float_type(data_type) -%}
    (case when {{ expression }} rlike {{ number }}
          then {{ mql_warehouse.finite_float('try_cast(trim(' ~ expression ~ ') as ' ~ data_type ~ ')', data_type) }} end)
    {%- elif kind.startswith(('numeric', 'decimal')) -%}
    (case when {{ expression }} rlike {{ number }} then try_cast(trim({{ expression }}) as {{ data_type }}) end)
    {%- else -%}
    try_cast({{ expression }} as {{ data_type }})
    {%- endif -%}
{%- endmacro %}
