{#- The points-to-probability calibration of the rubric (seed `score_probability`, written by `mql learn`),
    validated: none when the seed has no row (the starter rubric is not calibrated), else a dict {intercept, slope,
    outcome, horizon_days, learned_at, description} with the numbers as floats. A second row, a missing intercept,
    a slope that is missing or not above 0, an outcome other than sql, opportunity or won, a horizon_days that is
    not positive or a learned_at that is not an ISO date fail compilation naming the file and line. Read through
    `rubric_rows`, so var `rubric_rows: {score_probability: [...]}` pins the rows (unit tests do). Returns none while
    dbt parses. -#}
{% macro score_probability() -%}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- set rows = rubric_rows('score_probability') -%}
    {%- if rows | length == 0 -%}{{ return(none) }}{%- endif -%}
    {%- if rows | length > 1 -%}
        {{ _rule_error(rows[1]['_where'], 'score_probability holds one calibration (one row), found ' ~ rows | length ~ ' rows') }}
    {%- endif -%}
    {%- set row = rows[0] -%}
    {%- set where = row['_where'] -%}
    {%- set numbers = {} -%}
    {%- for name in ['intercept', 'slope', 'horizon_days'] -%}
        {%- set value = _blank_to_none(row.get(name)) -%}
        {%- if value is not none and value is not number and not modules.re.match('^\\s*-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?\\s*$', value | string) -%}
            {{ _rule_error(where, name ~ " must be a number, got '" ~ value ~ "'") }}
        {%- endif -%}
        {%- do numbers.update({name: value | float if value is not none else none}) -%}
    {%- endfor -%}
    {%- if numbers.intercept is none -%}{{ _rule_error(where, 'intercept is empty (the log-odds at 0 points)') }}{%- endif -%}
    {%- if numbers.slope is none -%}{{ _rule_error(where, 'slope is empty (the log-odds per point of total_score)') }}{%- endif -%}
    {%- if numbers.slope <= 0 -%}{{ _rule_error(where, 'slope must be above 0 (more points must mean a higher probability), got ' ~ numbers.slope) }}{%- endif -%}
    {%- if numbers.horizon_days is not none and numbers.horizon_days <= 0 -%}{{ _rule_error(where, 'horizon_days must be positive, got ' ~ numbers.horizon_days) }}{%- endif -%}
    {%- set outcome = (_blank_to_none(row.get('outcome')) or '') | string | trim | lower -%}
    {%- if outcome not in ['sql', 'opportunity', 'won'] -%}
        {{ _rule_error(where, "outcome must be sql, opportunity or won, got '" ~ row.get('outcome') ~ "'") }}
    {%- endif -%}
    {%- set learned_at = _blank_to_none(row.get('learned_at')) -%}
    {%- if learned_at is not none and not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9:.]+Z?)?$', learned_at | string | trim) -%}
        {{ _rule_error(where, "learned_at must be an ISO date (YYYY-MM-DD), got '" ~ learned_at ~ "'") }}
    {%- endif -%}
    {{ return({
        'intercept': numbers.intercept, 'slope': numbers.slope, 'outcome': outcome,
        'horizon_days': numbers.horizon_days,
        'learned_at': learned_at | string | trim if learned_at is not none else none,
        'description': _blank_to_none(row.get('description')),
    }) }}
{%- endmacro %}
