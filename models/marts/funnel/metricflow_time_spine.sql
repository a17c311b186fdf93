{#- One row per calendar day from 2020-01-01 to 2030-12-31: the time spine MetricFlow joins metrics to. -#}

with

days as (
    {{ dbt.date_spine('day', "cast('2020-01-01' as date)", "cast('2031-01-01' as date)") }}
)

select cast(date_day as date) as date_day
from days
