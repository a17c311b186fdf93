{#- Read a rule seed at compile time, validate every row, and return the rules as a list of dicts. A bad row fails
    compilation with a message naming the seed file, the line and the problem. The seed must be built first
    (`dbt build` and `dbt seed` order it so). Returns [] while dbt parses. -#}
{% macro engagement_rules() -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set relation = _seed_relation('engagement_rules') -%}
    {%- set event_types_relation = _seed_relation('event_types') -%}
    {%- set known_event_types = run_query('select event_type from ' ~ event_types_relation).columns[0].values() -%}
    {%- set table = _read_rule_seed(relation) -%}
    {%- set rules = [] -%}
    {%- set seen = {} -%}
    {%- for row in table.rows -%}
        {%- set where = 'seeds/scoring/engagement_rules.csv line ' ~ (row['csv_row'] + 1) ~ ' (rule_id ' ~ row['rule_id'] ~ ')' -%}
        {%- set rule = {
            'rule_id': row['rule_id'], 'score_family': row['score_family'], 'event_type': row['event_type'],
            'condition_field': row['condition_field'], 'condition_value': row['condition_value'],
            'points': row['points'], 'max_points': row['max_points'], 'max_per_day': row['max_per_day'],
            'window_days': row['window_days'], 'half_life_days': row['half_life_days'],
            'is_fast_track': row['is_fast_track'] in [true, 'true', 'True', 1],
        } -%}
        {%- if rule.rule_id is none or rule.rule_id | trim == '' -%}{{ _rule_error(where, 'rule_id is empty') }}{%- endif -%}
        {%- if rule.rule_id in seen -%}{{ _rule_error(where, 'duplicate rule_id (also on line ' ~ seen[rule.rule_id] ~ ')') }}{%- endif -%}
        {%- do seen.update({rule.rule_id: row['csv_row'] + 1}) -%}
        {%- if rule.score_family not in ['engagement', 'negative'] -%}{{ _rule_error(where, "score_family must be 'engagement' or 'negative', got '" ~ rule.score_family ~ "'") }}{%- endif -%}
        {%- if rule.event_type not in known_event_types -%}{{ _rule_error(where, "unknown event_type '" ~ rule.event_type ~ "' (not in seeds/mappings/event_types.csv)") }}{%- endif -%}
        {%- if rule.condition_field not in [none, 'page_category', 'campaign_id', 'asset_name'] -%}{{ _rule_error(where, "condition_field must be empty, page_category, campaign_id or asset_name, got '" ~ rule.condition_field ~ "'") }}{%- endif -%}
        {%- if (rule.condition_field is none) != (rule.condition_value is none) -%}{{ _rule_error(where, 'condition_field and condition_value must be both set or both empty') }}{%- endif -%}
        {%- if rule.points is none or rule.points == 0 -%}{{ _rule_error(where, 'points must be a non-zero number') }}{%- endif -%}
        {%- set sign = 1 if rule.score_family == 'engagement' else -1 -%}
        {%- if rule.points * sign < 0 -%}{{ _rule_error(where, rule.score_family ~ ' rules need ' ~ ('positive' if sign > 0 else 'negative') ~ ' points, got ' ~ rule.points) }}{%- endif -%}
        {%- if rule.max_points is not none and rule.max_points * sign <= 0 -%}{{ _rule_error(where, 'max_points (cap) must have the same sign as points, got ' ~ rule.max_points) }}{%- endif -%}
        {%- if rule.max_per_day is not none and rule.max_per_day < 1 -%}{{ _rule_error(where, 'max_per_day must be at least 1, got ' ~ rule.max_per_day) }}{%- endif -%}
        {%- if rule.window_days is not none and rule.window_days <= 0 -%}{{ _rule_error(where, 'window_days must be positive, got ' ~ rule.window_days) }}{%- endif -%}
        {%- if rule.half_life_days is not none and rule.half_life_days <= 0 -%}{{ _rule_error(where, 'half_life_days must be positive, got ' ~ rule.half_life_days) }}{%- endif -%}
        {%- if rule.score_family == 'negative' and (rule.window_days is not none or rule.half_life_days is not none) -%}{{ _rule_error(where, 'negative rules are permanent: leave window_days and half_life_days empty (a fading penalty would let scores rise between events and make MQL times inexact)') }}{%- endif -%}
        {%- if rule.score_family == 'negative' and rule.is_fast_track -%}{{ _rule_error(where, 'a negative rule cannot be fast-track') }}{%- endif -%}
        {%- do rules.append(rule) -%}
    {%- endfor -%}
    {{ return(rules) }}
{%- endmacro %}

{% macro fit_rules() -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set relation = _seed_relation('fit_rules') -%}
    {%- set table = _read_rule_seed(relation) -%}
    {%- set attributes = ['seniority', 'job_function', 'industry', 'company_size_band', 'country_code', 'region', 'has_budget_authority', 'email_type'] -%}
    {%- set rules = [] -%}
    {%- set seen = {} -%}
    {%- for row in table.rows -%}
        {%- set where = 'seeds/scoring/fit_rules.csv line ' ~ (row['csv_row'] + 1) ~ ' (rule_id ' ~ row['rule_id'] ~ ')' -%}
        {%- if row['rule_id'] is none -%}{{ _rule_error(where, 'rule_id is empty') }}{%- endif -%}
        {%- if row['rule_id'] in seen -%}{{ _rule_error(where, 'duplicate rule_id (also on line ' ~ seen[row['rule_id']] ~ ')') }}{%- endif -%}
        {%- do seen.update({row['rule_id']: row['csv_row'] + 1}) -%}
        {%- if row['score_family'] not in ['fit', 'negative'] -%}{{ _rule_error(where, "score_family must be 'fit' or 'negative', got '" ~ row['score_family'] ~ "'") }}{%- endif -%}
        {%- if row['attribute'] not in attributes -%}{{ _rule_error(where, "unknown attribute '" ~ row['attribute'] ~ "' (one of " ~ attributes | join(', ') ~ ")") }}{%- endif -%}
        {%- if row['attribute_value'] is none -%}{{ _rule_error(where, 'attribute_value is empty') }}{%- endif -%}
        {%- if row['points'] is none or row['points'] == 0 -%}{{ _rule_error(where, 'points must be a non-zero number') }}{%- endif -%}
        {%- if (row['points'] > 0) != (row['score_family'] == 'fit') -%}{{ _rule_error(where, row['score_family'] ~ ' rules need ' ~ ('positive' if row['score_family'] == 'fit' else 'negative') ~ ' points, got ' ~ row['points']) }}{%- endif -%}
        {%- do rules.append({'rule_id': row['rule_id'], 'score_family': row['score_family'], 'attribute': row['attribute'], 'attribute_value': row['attribute_value'], 'points': row['points']}) -%}
    {%- endfor -%}
    {{ return(rules) }}
{%- endmacro %}

{#- The built table of a seed, not ref(): the rules are read when a model compiles, and inside a dbt unit test
    ref() points at the test's mock inputs (and the graph is empty), while the rubric must be the real one. Spark
    has no database level (target.database is undefined there). -#}
{% macro _seed_relation(seed_name) -%}
    {%- for node in (graph.get('nodes') or {}).values() if node.resource_type == 'seed' and node.name == seed_name -%}
        {{ return(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }}
    {%- endfor -%}
    {{ return(api.Relation.create(database=(target.database or none), schema=generate_schema_name('seeds', none), identifier=seed_name)) }}
{%- endmacro %}

{% macro _read_rule_seed(relation) -%}
    {%- if adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) is none -%}
        {{ exceptions.raise_compiler_error("scoring rules: seed " ~ relation ~ " is not built yet; run `dbt seed` (or `dbt build`) first") }}
    {%- endif -%}
    {{ return(run_query('select ' ~ row_number_in_scan_order() ~ ' as csv_row, * from ' ~ relation)) }}
{%- endmacro %}

{% macro _rule_error(where, problem) -%}
    {{ exceptions.raise_compiler_error(where ~ ': ' ~ problem) }}
{%- endmacro %}
