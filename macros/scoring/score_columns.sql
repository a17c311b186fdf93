{#- Group engagement rules into the columns the score history carries. A capped rule needs its own column (the cap
    applies to that rule's decayed sum); uncapped rules that share family, half-life and window are summed into one
    column, since their decayed sums add up exactly. Returns a list of dicts:
    {name, family, rule_ids, half_life_days, window_days, max_points}. -#}
{% macro score_columns(rules) -%}
    {%- set columns = [] -%}
    {%- set groups = {} -%}
    {%- for rule in rules -%}
        {%- set half_life = rule.half_life_days | float if rule.half_life_days is not none else none -%}
        {%- set window = rule.window_days | int if rule.window_days is not none else none -%}
        {%- if rule.max_points is not none -%}
            {%- do columns.append({
                'name': 'rule_' ~ modules.re.sub('[^a-z0-9]+', '_', rule.rule_id | lower),
                'family': rule.score_family, 'rule_ids': [rule.rule_id], 'half_life_days': half_life,
                'window_days': window, 'max_points': rule.max_points | float,
            }) -%}
        {%- else -%}
            {%- set key = rule.score_family ~ '|' ~ half_life ~ '|' ~ window -%}
            {%- if key not in groups -%}
                {%- do groups.update({key: {
                    'name': 'group_' ~ (groups | length + 1), 'family': rule.score_family, 'rule_ids': [],
                    'half_life_days': half_life, 'window_days': window, 'max_points': none,
                }}) -%}
                {%- do columns.append(groups[key]) -%}
            {%- endif -%}
            {%- do groups[key].rule_ids.append(rule.rule_id) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}

{#- The decayed, windowed sum of `points` at the time of the current row, as a window expression over a contact's
    timeline ordered by `time_us` (microseconds). With a half-life h the sum is rebased on the contact's first
    timeline instant (`age_days`): sum(p * 2^(age_i / h)) * 2^(-age / h) = sum(p * 2^(-(t - t_i) / h)), one
    window pass instead of a self-join. Rows at the same instant are peers: all of them are included. An event
    exactly `window_days` old still counts. -#}
{% macro decayed_window_sum(points, column) -%}
    {%- set window_us = (column.window_days * 86400000000) | int if column.window_days is not none else none -%}
    {%- set frame_start = (window_us ~ ' preceding') if window_us is not none else 'unbounded preceding' -%}
    {%- set over = 'over (partition by contact_id order by time_us range between ' ~ frame_start ~ ' and current row)' -%}
    {%- if column.half_life_days is not none -%}
        coalesce(sum({{ points }} * power(2.0, age_days / {{ column.half_life_days }})) {{ over }}, 0)
        * power(2.0, -age_days / {{ column.half_life_days }})
    {%- else -%}
        coalesce(sum({{ points }}) {{ over }}, 0)
    {%- endif -%}
{%- endmacro %}

{#- Apply a rule's cap to a (decayed) sum: least() for positive caps, greatest() for negative ones. -#}
{% macro capped(expression, max_points) -%}
    {%- if max_points is none -%}
        {{ expression }}
    {%- elif max_points > 0 -%}
        least({{ max_points }}, {{ expression }})
    {%- else -%}
        greatest({{ max_points }}, {{ expression }})
    {%- endif -%}
{%- endmacro %}

{#- Fit grade A-D from fit points, using the `fit_grade_bands` var. -#}
{% macro fit_grade(points) -%}
    {%- set bands = scoring_config().fit_bands -%}
    case
        when {{ points }} >= {{ bands['A'] }} then 'A'
        when {{ points }} >= {{ bands['B'] }} then 'B'
        when {{ points }} >= {{ bands['C'] }} then 'C'
        else 'D'
    end
{%- endmacro %}

{#- Engagement band 1-4 from engagement points, using the `engagement_bands` var (1 = most engaged). -#}
{% macro engagement_band(points) -%}
    {%- set bands = scoring_config().engagement_bands -%}
    case
        when {{ points }} >= {{ bands['1'] }} then 1
        when {{ points }} >= {{ bands['2'] }} then 2
        when {{ points }} >= {{ bands['3'] }} then 3
        else 4
    end
{%- endmacro %}

{#- True when fit and engagement points qualify a lead under the configured setting (`scoring_config()`); the
    definition is `meets_mql_setting` (macros/scoring/mql_crossing_candidates.sql), shared with calibration. -#}
{% macro meets_mql_threshold(fit_points, engagement_points) -%}
    {{ meets_mql_setting(fit_points, engagement_points, mql_setting_literals(mql_setting())) }}
{%- endmacro %}

{#- True when a fast-track (hand-raiser) event qualifies a lead with these fit points under the configured setting
    (`meets_fast_track_setting`). -#}
{% macro meets_fast_track(has_fast_track_points, fit_points) -%}
    {{ meets_fast_track_setting(has_fast_track_points, fit_points, mql_setting_literals(mql_setting())) }}
{%- endmacro %}

{#- `column <= as_of` when a point-in-time build was asked for (var as_of), else true. -#}
{% macro as_of_filter(column) -%}
    {%- set as_of = scoring_config().as_of -%}
    {%- if as_of is none -%}
        true
    {%- else -%}
        {{ column }} <= cast('{{ as_of }}' as timestamp)
    {%- endif -%}
{%- endmacro %}
