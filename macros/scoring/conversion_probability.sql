{#- SQL: the calibrated probability that a lead with `score` total points (fit + engagement) reaches the outcome of
    the `score_probability` seed within its horizon, the logistic curve
        1 / (1 + exp(-(intercept + slope * score)))
    as a double. A null double when the seed is empty (an uncalibrated rubric); null when `score` is null (tested
    first: greatest and least skip nulls). The log-odds are clamped to [-700, 700], where exp() neither overflows
    nor underflows on any warehouse (PostgreSQL raises an error on both); no probability moves by 1e-303 or more.
    Plain SQL (exp, greatest, least) that DuckDB, PostgreSQL and Spark spell alike, so no dispatch. `calibration`:
    a dict shaped like `score_probability()`'s to use instead of the seed's (e.g. an analysis comparing curves).
    A model calling it declares a `depends_on` comment on ref('score_probability'), so the seed is built first. -#}
{% macro conversion_probability(score, calibration=none) -%}
    {%- set curve = calibration if calibration is not none else score_probability() -%}
    {%- if curve is none -%}
    cast(null as {{ type_double() }})
    {%- else -%}
    case
        when ({{ score }}) is not null then cast(
            1.0 / (1.0 + exp(-greatest(
                cast(-700 as {{ type_double() }}),
                least(
                    cast(700 as {{ type_double() }}),
                    cast({{ curve.intercept }} as {{ type_double() }})
                    + cast({{ curve.slope }} as {{ type_double() }}) * ({{ score }})
                )
            )))
            as {{ type_double() }}
        )
    end
    {%- endif -%}
{%- endmacro %}
