{#- The one definition of an MQL: at which instants of a lead's score history it qualifies under a setting (mode,
    minimum fit, threshold, fast-track). `int_mql_crossings` applies it to the configured setting; calibration
    (`analyses/qualification_sweep.sql`, `analyses/threshold_sweep.sql`) applies it to a list of candidate
    settings, so what a sweep counts for a setting is what a build with that setting makes MQLs.

    A setting is a dict:
      {setting_id, mode, min_fit_points, engagement_threshold, combined_threshold, fast_track_enabled,
       fast_track_min_fit_points}
    (`min_fit_points` and `fast_track_min_fit_points` are none for grade D: no minimum). `mql_setting()` makes the
    configured one (`scoring_config()`) or the configured one with dbt-var overrides; `mql_settings_from_var()`
    reads a list of overrides from a var. -#}

{#- The configured setting (`scoring_config()`) with `overrides`, a mapping keyed like the dbt vars that select a
    setting: qualification_mode, mql_min_fit_grade, mql_engagement_threshold, mql_combined_threshold,
    fast_track_enabled, fast_track_min_fit_grade. Fit grades become fit points through the configured
    `fit_grade_bands`. A bad key or value fails compilation naming it. -#}
{% macro mql_setting(overrides=none, setting_id='configured') -%}
    {%- set config = scoring_config() -%}
    {%- set overrides = overrides or {} -%}
    {%- set known = ['setting_id', 'qualification_mode', 'mql_min_fit_grade', 'mql_engagement_threshold',
                     'mql_combined_threshold', 'fast_track_enabled', 'fast_track_min_fit_grade'] -%}
    {%- for key in overrides if key not in known -%}
        {{ exceptions.raise_compiler_error("MQL setting " ~ setting_id ~ ": unknown key '" ~ key ~ "' (one of " ~ known | join(', ') ~ ")") }}
    {%- endfor -%}
    {%- set floors = {'A': config.fit_bands['A'], 'B': config.fit_bands['B'], 'C': config.fit_bands['C'], 'D': none} -%}
    {%- set mode = overrides.get('qualification_mode', config.mode) -%}
    {%- if mode not in ['fit_and_engagement', 'combined'] -%}
        {{ exceptions.raise_compiler_error("MQL setting " ~ setting_id ~ ": qualification_mode must be 'fit_and_engagement' or 'combined', got '" ~ mode ~ "'") }}
    {%- endif -%}
    {%- set grade = overrides.get('mql_min_fit_grade', config.min_fit_grade) | string | trim | upper -%}
    {%- set fast_grade = overrides.get('fast_track_min_fit_grade', none) -%}
    {%- for name, value in [('mql_min_fit_grade', grade), ('fast_track_min_fit_grade', fast_grade)] -%}
        {%- if value is not none and (value | string | trim | upper) not in floors -%}
            {{ exceptions.raise_compiler_error("MQL setting " ~ setting_id ~ ": " ~ name ~ " must be one of A, B, C, D, got '" ~ value ~ "'") }}
        {%- endif -%}
    {%- endfor -%}
    {%- set numbers = {} -%}
    {%- for name, default in [('mql_engagement_threshold', config.engagement_threshold),
                              ('mql_combined_threshold', config.combined_threshold)] -%}
        {%- set value = overrides.get(name, default) -%}
        {%- if value is none or (value is not number and not modules.re.match('^-?[0-9]+(\\.[0-9]+)?$', value | string | trim)) -%}
            {{ exceptions.raise_compiler_error("MQL setting " ~ setting_id ~ ": " ~ name ~ " must be a number, got '" ~ value ~ "'") }}
        {%- endif -%}
        {%- do numbers.update({name: value | float}) -%}
    {%- endfor -%}
    {%- set fast_enabled = overrides.get('fast_track_enabled', config.fast_track_enabled) -%}
    {%- if fast_enabled not in [true, false] -%}
        {{ exceptions.raise_compiler_error("MQL setting " ~ setting_id ~ ": fast_track_enabled must be true or false, got '" ~ fast_enabled ~ "'") }}
    {%- endif -%}
    {{ return({
        'setting_id': overrides.get('setting_id', setting_id) | string,
        'mode': mode,
        'min_fit_points': floors[grade],
        'engagement_threshold': numbers['mql_engagement_threshold'],
        'combined_threshold': numbers['mql_combined_threshold'],
        'fast_track_enabled': fast_enabled,
        'fast_track_min_fit_points': config.fast_track_min_fit_points if fast_grade is none
            else floors[fast_grade | string | trim | upper],
    }) }}
{%- endmacro %}

{#- The settings listed in var `name`: a list of overrides for `mql_setting()`, each with an optional `setting_id`
    (default: its position, 1, 2, ...). No var, or an empty list: the configured setting alone. -#}
{% macro mql_settings_from_var(name='mql_settings') -%}
    {%- set listed = var(name, none) -%}
    {%- if listed is none or listed == [] -%}
        {{ return([mql_setting()]) }}
    {%- endif -%}
    {%- if listed is string or listed is mapping or listed is not iterable -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ ": must be a list of settings like [{qualification_mode: combined, mql_combined_threshold: 80}], got '" ~ listed ~ "'") }}
    {%- endif -%}
    {%- set settings = [] -%}
    {%- set seen = [] -%}
    {%- for overrides in listed -%}
        {%- if overrides is not mapping -%}
            {{ exceptions.raise_compiler_error("var " ~ name ~ ": setting " ~ loop.index ~ " must be a mapping, got '" ~ overrides ~ "'") }}
        {%- endif -%}
        {%- set setting = mql_setting(overrides, loop.index | string) -%}
        {%- if setting.setting_id in seen -%}
            {{ exceptions.raise_compiler_error("var " ~ name ~ ": setting_id '" ~ setting.setting_id ~ "' is listed twice") }}
        {%- endif -%}
        {%- do seen.append(setting.setting_id) -%}
        {%- do settings.append(setting) -%}
    {%- endfor -%}
    {{ return(settings) }}
{%- endmacro %}

{#- A sweep's grid: for every minimum fit grade (A-D; `any` in mode combined) and every threshold 0, `step`, ...,
    `max_threshold`, a dict {grade, threshold, setting} whose setting (`mql_setting`, id `grade:threshold`) is the
    configured one with that mode, grade and threshold. -#}
{% macro mql_threshold_grid(mode, step, max_threshold) -%}
    {%- set grid = [] -%}
    {%- for grade in (['any'] if mode == 'combined' else ['A', 'B', 'C', 'D']) -%}
        {%- for index in range(max_threshold // step + 1) -%}
            {%- set threshold = index * step -%}
            {%- set overrides = {'setting_id': grade ~ ':' ~ threshold, 'qualification_mode': mode} -%}
            {%- if mode == 'combined' -%}
                {%- do overrides.update({'mql_combined_threshold': threshold}) -%}
            {%- else -%}
                {%- do overrides.update({'mql_min_fit_grade': grade, 'mql_engagement_threshold': threshold}) -%}
            {%- endif -%}
            {%- do grid.append({'grade': grade, 'threshold': threshold, 'setting': mql_setting(overrides)}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(grid) }}
{%- endmacro %}

{#- A setting's values as SQL literals (the form `meets_mql_setting` takes), for one setting known at compile time. -#}
{% macro mql_setting_literals(setting) -%}
    {%- set literals = {'setting_id': "'" ~ (setting.setting_id | replace("'", "''")) ~ "'",
                        'mode': "'" ~ setting.mode ~ "'",
                        'fast_track_enabled': 'true' if setting.fast_track_enabled else 'false'} -%}
    {%- for name in ['min_fit_points', 'engagement_threshold', 'combined_threshold', 'fast_track_min_fit_points'] -%}
        {%- set value = setting[name] -%}
        {%- do literals.update({name: 'cast(' ~ ('null' if value is none else value) ~ ' as ' ~ type_double() ~ ')'}) -%}
    {%- endfor -%}
    {{ return(literals) }}
{%- endmacro %}

{#- The columns of a settings relation (`mql_settings_relation`) aliased `alias`, in the form `meets_mql_setting`
    takes. -#}
{% macro mql_setting_columns(alias) -%}
    {{ return({
        'setting_id': alias ~ '.setting_id',
        'mode': alias ~ '.qualification_mode',
        'min_fit_points': alias ~ '.min_fit_points',
        'engagement_threshold': alias ~ '.engagement_threshold',
        'combined_threshold': alias ~ '.combined_threshold',
        'fast_track_enabled': alias ~ '.is_fast_track_enabled',
        'fast_track_min_fit_points': alias ~ '.fast_track_min_fit_points',
    }) }}
{%- endmacro %}

{#- SQL: one row per setting (setting_id, qualification_mode, min_fit_points, engagement_threshold,
    combined_threshold, is_fast_track_enabled, fast_track_min_fit_points). -#}
{% macro mql_settings_relation(settings) -%}
    {%- for setting in settings -%}
        {%- set literals = mql_setting_literals(setting) %}
    select
        {{ literals.setting_id }} as setting_id,
        {{ literals.mode }} as qualification_mode,
        {{ literals.min_fit_points }} as min_fit_points,
        {{ literals.engagement_threshold }} as engagement_threshold,
        {{ literals.combined_threshold }} as combined_threshold,
        {{ literals.fast_track_enabled }} as is_fast_track_enabled,
        {{ literals.fast_track_min_fit_points }} as fast_track_min_fit_points
        {{- '' if loop.last else '\n    union all' }}
    {%- endfor -%}
{%- endmacro %}

{#- True when fit and engagement points meet a setting (its values as SQL: `mql_setting_literals` or
    `mql_setting_columns`): fit + engagement at least the combined threshold in mode combined; else fit at least the
    minimum (none: any fit) and engagement at least the engagement threshold. -#}
{% macro meets_mql_setting(fit_points, engagement_points, setting) -%}
    (
        case
            when {{ setting.mode }} = 'combined'
                then {{ fit_points }} + {{ engagement_points }} >= {{ setting.combined_threshold }}
            else
                ({{ setting.min_fit_points }} is null or {{ fit_points }} >= {{ setting.min_fit_points }})
                and {{ engagement_points }} >= {{ setting.engagement_threshold }}
        end
    )
{%- endmacro %}

{#- True when an instant with a scoring fast-track (hand-raiser) event qualifies at once under a setting: fast-track
    is enabled and the fit points are at least its minimum (none: any fit). -#}
{% macro meets_fast_track_setting(has_fast_track_points, fit_points, setting) -%}
    (
        {{ setting.fast_track_enabled }}
        and {{ has_fast_track_points }}
        and ({{ setting.fast_track_min_fit_points }} is null or {{ fit_points }} >= {{ setting.fast_track_min_fit_points }})
    )
{%- endmacro %}

{#- SQL (a select) of every instant of `history` at which a lead could become an MQL under each of `settings`, with
    `is_first_in_epoch` marking its MQL events. `history` is a relation or CTE shaped like
    `int_contact_score_history` / `fct_lead_score_history`: score_history_id, contact_id, instant_kind,
    kind_order, source_id, scored_at, fit_score, engagement_score, negative_score, total_score, fit_grade,
    engagement_band, fit_score_before, engagement_score_before, is_first_instant, has_fast_track_points,
    requalification_epoch, is_disqualified.

    An instant (a creation, a fit change or a scoring event; never a sales decision, which changes no score) is a
    candidate when sales has not disqualified the lead and either
      - the scores cross the setting: they meet it at the instant and did not just before, where nothing existed
        before a lead's first instant, so a lead that meets the setting when it first appears qualifies there; or
      - a fast-track event scores and the fit is acceptable (`meets_fast_track_setting`).
    The first candidate of each requalification epoch (epochs start at each recycle by sales) is an MQL event;
    later ones in the same epoch are not, the lead being an MQL already.

    Scores only meet more settings as they rise, so an instant at which neither score rose (and that is neither a
    lead's first instant nor a fast-track event) crosses no setting: those rows are skipped before the settings are
    applied, which keeps a sweep over many settings cheap and changes no result. -#}
{% macro mql_crossing_candidates(history, settings) -%}
    {%- set setting = mql_setting_columns('settings') -%}
    {%- set meets_now = meets_mql_setting('history.fit_score', 'history.engagement_score', setting) -%}
    {%- set met_before = meets_mql_setting('history.fit_score_before', 'history.engagement_score_before', setting) -%}
    {%- set is_crossing = '(' ~ meets_now ~ ' and (history.is_first_instant or not ' ~ met_before ~ '))' -%}
    {%- set is_fast_track = meets_fast_track_setting('history.has_fast_track_points', 'history.fit_score', setting) -%}
    select
        candidates.*,
        row_number() over (
            partition by candidates.setting_id, candidates.contact_id, candidates.requalification_epoch
            order by candidates.scored_at, candidates.kind_order, candidates.source_id
        ) = 1 as is_first_in_epoch
    from (
        select
            settings.setting_id,
            history.score_history_id,
            history.contact_id,
            history.instant_kind,
            history.kind_order,
            history.source_id,
            history.scored_at,
            history.requalification_epoch,
            history.fit_score,
            history.engagement_score,
            history.negative_score,
            history.total_score,
            history.fit_grade,
            history.engagement_band,
            case when {{ is_crossing }} then 'threshold' else 'fast_track' end as qualification_type
        from {{ history }} as history
        cross join ({{ mql_settings_relation(settings) }}
        ) as settings
        where
            history.instant_kind in ('created', 'event', 'fit_change')
            and not history.is_disqualified
            and (
                history.is_first_instant
                or history.has_fast_track_points
                or history.fit_score > history.fit_score_before
                or history.engagement_score > history.engagement_score_before
            )
            and ({{ is_crossing }} or {{ is_fast_track }})
    ) as candidates
{%- endmacro %}
