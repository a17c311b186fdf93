{#- Parse an ISO-8601 text timestamp into a UTC timestamp without time zone; null when it cannot be parsed.
    An explicit offset (+02:00, -0500, Z) is honoured; a value without one is taken as UTC. -#}
{% macro parse_timestamp_utc(expression) -%}
    {{ return(adapter.dispatch('parse_timestamp_utc', 'mql_warehouse')(expression)) }}
{%- endmacro %}

{% macro default__parse_timestamp_utc(expression) -%}
    cast({{ dbt.safe_cast(expression, api.Column.translate_type('timestamp')) }} as timestamp)
{%- endmacro %}

{#- DuckDB's cast also reads words ('epoch', 'infinity', '-infinity', 'now' is refused): the text must start with a
    digit, as on PostgreSQL and Spark, so no word becomes a date. -#}
{% macro duckdb__parse_timestamp_utc(expression) -%}
    (case when regexp_matches(trim({{ expression }}), '^[0-9]')
        then timezone('UTC', try_cast({{ expression }} as timestamptz)) end)
{%- endmacro %}

{#- PostgreSQL has no try_cast, and its timestamp input also accepts words ('yesterday', 'now', 'epoch') and other
    date orders that DuckDB rejects. So the text must first look like the ISO-8601 subset DuckDB accepts
    (date, optional time hh:mm[:ss[.ffffff]], optional offset Z/UTC/+hh/+hhmm/+hh:mm) with a real calendar date and
    a valid clock time; only then is it cast. Without an offset the value is taken as UTC whatever the session time
    zone. Boolean regex matches and fixed positions only (capture-group regexes are ~10x slower on Postgres). -#}
{% macro postgres__parse_timestamp_utc(expression) -%}
    {%- set t = 'trim(' ~ expression ~ ')' -%}
    {%- set has_time = "substr(" ~ t ~ ", 14, 1) = ':'" -%}
    {%- set hour = "(case when " ~ has_time ~ " then cast(substr(" ~ t ~ ", 12, 2) as integer) else 0 end)" -%}
    {%- set minute = "(case when " ~ has_time ~ " then cast(substr(" ~ t ~ ", 15, 2) as integer) else 0 end)" -%}
    {%- set second = "(case when " ~ has_time ~ " and substr(" ~ t ~ ", 17, 1) = ':' then cast(substr(" ~ t ~ ", 18, 2) as integer) else 0 end)" -%}
    (case
        when {{ t }} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?)?[ ]?(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)?$'
            and {{ mql_warehouse.postgres__valid_iso_date(t) }}
            and ({{ hour }} < 24 and {{ minute }} <= 59 and {{ second }} <= 59
                 or {{ hour }} = 24 and {{ minute }} = 0 and {{ second }} = 0)
        then case
            when substr({{ t }}, 11) ~ '(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)$'
                then cast({{ t }} as timestamptz) at time zone 'UTC'
            else cast({{ t }} as timestamp)
        end
    end)
{%- endmacro %}

{#- True when text already known to start with `dddd-dd-dd` is a real calendar date. Never raises: integer
    arithmetic on fixed-position digits only. -#}
{% macro postgres__valid_iso_date(t) -%}
    {%- set y = 'cast(substr(' ~ t ~ ', 1, 4) as integer)' -%}
    {%- set m = 'cast(substr(' ~ t ~ ', 6, 2) as integer)' -%}
    {%- set d = 'cast(substr(' ~ t ~ ', 9, 2) as integer)' -%}
    ({{ m }} between 1 and 12
     and {{ d }} between 1 and (case
            when {{ m }} in (4, 6, 9, 11) then 30
            when {{ m }} = 2 then
                case when {{ y }} % 4 = 0 and ({{ y }} % 100 <> 0 or {{ y }} % 400 = 0) then 29 else 28 end
            else 31 end))
{%- endmacro %}

{#- Spark (session time zone UTC, set in profiles.yml): its timestamp cast also accepts partial values ('2025',
    '2025-01-02T3') that DuckDB rejects, so the text must first have the same ISO-8601 shape as on PostgreSQL
    (Java regex, backslash-free; up to 9 fraction digits, truncated to microseconds as DuckDB does); try_cast then
    rejects impossible dates and clock times. DuckDB reads hour 24 (`24:00:00`) as midnight of the next day;
    Spark's cast does not, so that one case is shifted explicitly. -#}
{% macro spark__parse_timestamp_utc(expression) -%}
    {%- set t = 'trim(' ~ expression ~ ')' -%}
    (case
        when {{ t }} rlike '^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?)?[ ]?(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)?$'
        then case
            when substr({{ t }}, 12, 2) = '24' and substr({{ t }}, 14, 1) = ':'
                then case when {{ t }} rlike '^.{10}.24:00(:00([.]0{1,9})?)?[ ]?(Z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)?$'
                    then try_cast(concat(substr({{ t }}, 1, 11), '00', substr({{ t }}, 14)) as timestamp)
                        + interval 1 day
                end
            else try_cast({{ t }} as timestamp)
        end
    end)
{%- endmacro %}
