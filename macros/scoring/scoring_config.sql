{#- The qualification settings (dbt vars), validated: a missing, empty or malformed value fails compilation with a
    message naming the var. Returns a dict used by the scoring models. -#}
{% macro scoring_config() -%}
    {%- set grades = ['A', 'B', 'C', 'D'] -%}
    {%- set mode = var('qualification_mode', none) -%}
    {%- if mode not in ['fit_and_engagement', 'combined'] -%}
        {{ exceptions.raise_compiler_error("var qualification_mode: must be 'fit_and_engagement' or 'combined', got '" ~ mode ~ "' (dbt_project.yml vars or --vars)") }}
    {%- endif -%}
    {%- set fit_bands = _scoring_bands('fit_grade_bands', ['A', 'B', 'C']) -%}
    {%- set engagement_bands = _scoring_bands('engagement_bands', ['1', '2', '3']) -%}
    {%- set min_grade = var('mql_min_fit_grade', none) | string | trim | upper -%}
    {%- if min_grade not in grades -%}
        {{ exceptions.raise_compiler_error("var mql_min_fit_grade: must be one of A, B, C, D, got '" ~ var('mql_min_fit_grade', none) ~ "'") }}
    {%- endif -%}
    {%- set fast_min_grade = var('fast_track_min_fit_grade', none) | string | trim | upper -%}
    {%- if fast_min_grade not in grades -%}
        {{ exceptions.raise_compiler_error("var fast_track_min_fit_grade: must be one of A, B, C, D, got '" ~ var('fast_track_min_fit_grade', none) ~ "'") }}
    {%- endif -%}
    {%- set fast_enabled = var('fast_track_enabled', true) -%}
    {%- if fast_enabled not in [true, false] -%}
        {{ exceptions.raise_compiler_error("var fast_track_enabled: must be true or false, got '" ~ fast_enabled ~ "'") }}
    {%- endif -%}
    {%- set as_of = var('as_of', none) -%}
    {%- if as_of is not none and as_of | string | trim | lower not in ['', 'none', 'null'] -%}
        {%- set as_of = as_of | string | trim -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,6})?)?)?$', as_of) -%}
            {{ exceptions.raise_compiler_error("var as_of: must be a UTC timestamp like '2026-03-31 23:59:59', got '" ~ as_of ~ "'") }}
        {%- endif -%}
    {%- else -%}
        {%- set as_of = none -%}
    {%- endif -%}
    {%- set fit_floor = {'A': fit_bands['A'], 'B': fit_bands['B'], 'C': fit_bands['C'], 'D': none} -%}
    {{ return({
        'mode': mode,
        'engagement_threshold': _scoring_number('mql_engagement_threshold'),
        'combined_threshold': _scoring_number('mql_combined_threshold'),
        'min_fit_points': fit_floor[min_grade],
        'min_fit_grade': min_grade,
        'fast_track_enabled': fast_enabled,
        'fast_track_min_fit_points': fit_floor[fast_min_grade],
        'fit_bands': fit_bands,
        'engagement_bands': engagement_bands,
        'as_of': as_of,
    }) }}
{%- endmacro %}

{% macro _scoring_number(name) -%}
    {%- set value = var(name, none) -%}
    {%- if value is none or (value is string and value | trim == '') -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ ": is empty; set a number (dbt_project.yml vars or --vars)") }}
    {%- endif -%}
    {%- if value is not number and not modules.re.match('^-?[0-9]+(\\.[0-9]+)?$', value | string | trim) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ ": must be a number, got '" ~ value ~ "'") }}
    {%- endif -%}
    {{ return(value | float) }}
{%- endmacro %}

{% macro _scoring_bands(name, keys) -%}
    {%- set bands = var(name, none) -%}
    {%- if bands is not mapping -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ ": must be a mapping like {" ~ keys[0] ~ ": 60, ...}, got '" ~ bands ~ "'") }}
    {%- endif -%}
    {%- set result = {} -%}
    {%- for key in keys -%}
        {%- set value = bands.get(key, bands.get(key | int if key is string and key.isdigit() else key)) -%}
        {%- if value is none or (value is not number and not modules.re.match('^-?[0-9]+(\\.[0-9]+)?$', value | string | trim)) -%}
            {{ exceptions.raise_compiler_error("var " ~ name ~ ": band '" ~ key ~ "' needs a number, got '" ~ value ~ "'") }}
        {%- endif -%}
        {%- do result.update({key: value | float}) -%}
    {%- endfor -%}
    {%- for index in range(keys | length - 1) -%}
        {%- if result[keys[index]] <= result[keys[index + 1]] -%}
            {{ exceptions.raise_compiler_error("var " ~ name ~ ": band '" ~ keys[index] ~ "' (" ~ result[keys[index]] ~ ") must be above band '" ~ keys[index + 1] ~ "' (" ~ result[keys[index + 1]] ~ ")") }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(result) }}
{%- endmacro %}
