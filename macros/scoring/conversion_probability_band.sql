{#- SQL: the band of a probability (`probability`, a SQL expression in [0, 1]) as a text label that sorts in band
    order, from var `probability_bands`: the bands' upper bounds, a strictly increasing list of numbers between 0
    and 1 (exclusive). A band holds its lower bound and stays below its upper one; the last band runs to 100%. The
    label is `<lower>-<upper>%` with both ends in percent, whole part zero-padded to two digits, up to four
    decimals, no trailing zeros: [0.05, 0.15, 0.3, 0.5] gives 00-05%, 05-15%, 15-30%, 30-50% and 50-100%;
    [0.025, 0.1] gives 00-02.5%, 02.5-10% and 10-100%. Null when the probability is null. A malformed var fails
    compilation naming it. -#}
{% macro conversion_probability_band(probability) -%}
    {%- set bounds = var('probability_bands', none) -%}
    {%- set example = " (dbt_project.yml vars or --vars), e.g. [0.05, 0.15, 0.3, 0.5]" -%}
    {%- if bounds is string or bounds is mapping or bounds is not iterable or bounds | length == 0 -%}
        {{ exceptions.raise_compiler_error("var probability_bands: must be a list of upper bounds between 0 and 1" ~ example ~ ", got '" ~ bounds ~ "'") }}
    {%- endif -%}
    {%- set percents = ['00'] -%}
    {%- for bound in bounds -%}
        {%- if bound is not number or bound is sameas true or bound is sameas false or bound <= 0 or bound >= 1 -%}
            {{ exceptions.raise_compiler_error("var probability_bands: every bound must be a number between 0 and 1 (exclusive), got '" ~ bound ~ "'" ~ example) }}
        {%- endif -%}
        {%- if not loop.first and bound <= bounds[loop.index0 - 1] -%}
            {{ exceptions.raise_compiler_error("var probability_bands: bounds must increase, got " ~ bounds[loop.index0 - 1] ~ " then " ~ bound) }}
        {%- endif -%}
        {%- set text = ('%.4f' | format(bound * 100)).rstrip('0').rstrip('.') -%}
        {%- set parts = text.split('.') -%}
        {%- set percent = ('%02d' | format(parts[0] | int)) ~ ('.' ~ parts[1] if parts | length > 1 else '') -%}
        {%- if percent in percents -%}
            {{ exceptions.raise_compiler_error("var probability_bands: bound " ~ bound ~ " is " ~ percent ~ "% to four decimals, like the bound before it") }}
        {%- endif -%}
        {%- do percents.append(percent) -%}
    {%- endfor -%}
    {%- do percents.append('100') -%}
    case
        when ({{ probability }}) is null then cast(null as {{ dbt.type_string() }})
        {%- for bound in bounds %}
        when ({{ probability }}) < {{ bound }} then '{{ percents[loop.index0] }}-{{ percents[loop.index0 + 1] }}%'
        {%- endfor %}
        else '{{ percents[-2] }}-100%'
    end
{%- endmacro %}
