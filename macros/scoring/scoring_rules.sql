{#- Read a rule seed at compile time, validate every row, and return the rules as a list of dicts. A bad row fails
    compilation with a message naming the seed file, the line and the problem. The seed must be built first
    (`dbt build` and `dbt seed` order it so). Returns [] while dbt parses. -#}
{% macro engagement_rules() -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set known = known_event_types() -%}
    {%- set rules = [] -%}
    {%- set seen = {} -%}
    {%- for row in rubric_rows('engagement_rules') -%}
        {%- set where = row['_where'] ~ ' (rule_id ' ~ row.get('rule_id') ~ ')' -%}
        {%- set rule = {
            'rule_id': row.get('rule_id'), 'score_family': row.get('score_family'), 'event_type': row.get('event_type'),
            'condition_field': _blank_to_none(row.get('condition_field')),
            'condition_operator': _blank_to_none(row.get('condition_operator')),
            'condition_value': _blank_to_none(row.get('condition_value')),
            'points': row.get('points'), 'quantity_field': _blank_to_none(row.get('quantity_field')),
            'quantity_unit': row.get('quantity_unit'),
            'max_points': row.get('max_points'), 'max_per_day': row.get('max_per_day'),
            'window_days': row.get('window_days'), 'half_life_days': row.get('half_life_days'),
            'is_fast_track': row.get('is_fast_track') in [true, 'true', 'True', 1],
        } -%}
        {%- if rule.rule_id is none or rule.rule_id | trim == '' -%}{{ _rule_error(where, 'rule_id is empty') }}{%- endif -%}
        {%- if rule.rule_id in seen -%}{{ _rule_error(where, _duplicate_rule_id(seen[rule.rule_id], row)) }}{%- endif -%}
        {%- do seen.update({rule.rule_id: row}) -%}
        {%- if rule.score_family not in ['engagement', 'negative'] -%}{{ _rule_error(where, "score_family must be 'engagement' or 'negative', got '" ~ rule.score_family ~ "'") }}{%- endif -%}
        {%- if rule.event_type not in known -%}{{ _rule_error(where, unknown_event_type(rule.event_type, known)) }}{%- endif -%}
        {%- do rule.update({'condition': _event_condition(where, rule)}) -%}
        {%- do rule.update({'quantity': _event_quantity(where, rule)}) -%}
        {%- if rule.points is none or rule.points == 0 -%}{{ _rule_error(where, 'points must be a non-zero number') }}{%- endif -%}
        {%- if rule.score_family == 'negative' and rule.points > 0 -%}{{ _rule_error(where, 'negative rules need negative points, got ' ~ rule.points) }}{%- endif -%}
        {%- set sign = 1 if rule.points > 0 else -1 -%}
        {%- if rule.max_points is not none and rule.max_points * sign <= 0 -%}{{ _rule_error(where, 'max_points (cap) must have the same sign as points, got ' ~ rule.max_points) }}{%- endif -%}
        {%- if rule.max_per_day is not none and rule.max_per_day < 1 -%}{{ _rule_error(where, 'max_per_day must be at least 1, got ' ~ rule.max_per_day) }}{%- endif -%}
        {%- if rule.window_days is not none and rule.window_days <= 0 -%}{{ _rule_error(where, 'window_days must be positive, got ' ~ rule.window_days) }}{%- endif -%}
        {%- if rule.half_life_days is not none and rule.half_life_days <= 0 -%}{{ _rule_error(where, 'half_life_days must be positive, got ' ~ rule.half_life_days) }}{%- endif -%}
        {%- if rule.points < 0 and (rule.half_life_days is not none or rule.window_days is not none) -%}{{ _rule_error(where, 'negative points are permanent: leave half_life_days and window_days empty (a penalty that fades or expires lets a score rise between events, at instants no event marks, and MQL times would be inexact)') }}{%- endif -%}
        {%- if rule.points < 0 and rule.is_fast_track -%}{{ _rule_error(where, 'a rule with negative points cannot be fast-track') }}{%- endif -%}
        {%- do rules.append(rule) -%}
    {%- endfor -%}
    {{ return(rules) }}
{%- endmacro %}

{#- The event columns a rule may test or count: the staged event's own columns, and `properties.<name>` for a key of
    the event's `properties` JSON object. -#}
{% macro event_rule_fields() -%}
    {{ return({
        'page_category': 'text', 'campaign_id': 'text', 'asset_name': 'text', 'url': 'text',
        'duration_seconds': 'number',
    }) }}
{%- endmacro %}

{#- A rule's condition as a dict {field, operator, values, number, kind}, or none: `condition_field` (an event
    column or `properties.<name>`), `condition_operator` (default `=`; `in`/`not in` take values separated by `|`;
    `>=`, `>`, `<=`, `<` compare numbers; `contains` finds text) and `condition_value`. -#}
{% macro _event_condition(where, rule) -%}
    {%- set field = rule.condition_field -%}
    {%- set operator = (rule.condition_operator or '=') | lower | trim -%}
    {%- if field is none and rule.condition_value is none and rule.condition_operator is none -%}{{ return(none) }}{%- endif -%}
    {%- if field is none or rule.condition_value is none -%}{{ _rule_error(where, 'condition_field and condition_value must be both set or both empty') }}{%- endif -%}
    {%- set kind = _event_field_kind(where, field, 'condition_field') -%}
    {%- set operators = ['=', '!=', 'in', 'not in', '>=', '>', '<=', '<', 'contains'] -%}
    {%- if operator not in operators -%}{{ _rule_error(where, "condition_operator must be one of " ~ operators | join(', ') ~ ", got '" ~ rule.condition_operator ~ "'") }}{%- endif -%}
    {%- set value = rule.condition_value | string | trim -%}
    {%- set numeric = operator in ['>=', '>', '<=', '<'] -%}
    {%- if numeric and not modules.re.match('^-?[0-9]+(\\.[0-9]+)?$', value) -%}{{ _rule_error(where, "condition_operator '" ~ operator ~ "' compares numbers: condition_value must be a number, got '" ~ value ~ "'") }}{%- endif -%}
    {%- if numeric and kind == 'text' -%}{{ _rule_error(where, "condition_field '" ~ field ~ "' is text: use =, !=, in, not in or contains (numbers: duration_seconds or properties.<name>)") }}{%- endif -%}
    {%- set values = value.split('|') | map('trim') | list if operator in ['in', 'not in'] else [value] -%}
    {{ return({'field': field, 'operator': operator, 'choices': values, 'number': value | float if numeric else none}) }}
{%- endmacro %}

{#- A rule's quantity: with `quantity_field` set (a number: duration_seconds or properties.<name>), an event earns
    `points` per whole `quantity_unit` of it (default 1): `points_per_unit`, e.g. 1 point per minute on site. -#}
{% macro _event_quantity(where, rule) -%}
    {%- if rule.quantity_field is none -%}
        {%- if rule.quantity_unit is not none -%}{{ _rule_error(where, 'quantity_unit needs a quantity_field') }}{%- endif -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set kind = _event_field_kind(where, rule.quantity_field, 'quantity_field') -%}
    {%- if kind == 'text' -%}{{ _rule_error(where, "quantity_field '" ~ rule.quantity_field ~ "' is text: it must be a number (duration_seconds or properties.<name>)") }}{%- endif -%}
    {%- set unit = rule.quantity_unit if rule.quantity_unit is not none else 1 -%}
    {%- if unit <= 0 -%}{{ _rule_error(where, 'quantity_unit must be positive, got ' ~ unit) }}{%- endif -%}
    {{ return({'field': rule.quantity_field, 'unit': unit | float}) }}
{%- endmacro %}

{#- 'text', 'number' or 'any' (an event property: text or number, as the rule uses it) for a rule's field; fails on
    an unknown field. -#}
{% macro _event_field_kind(where, field, setting) -%}
    {%- set fields = event_rule_fields() -%}
    {%- if field in fields -%}{{ return(fields[field]) }}{%- endif -%}
    {%- if modules.re.match('^properties\\.[a-z][a-z0-9_]*$', field) -%}{{ return('any') }}{%- endif -%}
    {{ _rule_error(where, setting ~ " must be one of " ~ fields.keys() | list | join(', ') ~ " or properties.<name> (lowercase letters, digits, _), got '" ~ field ~ "'") }}
{%- endmacro %}

{#- Fit rules: a contact earns `points` for each rule its attribute matches, by value (`attribute_value`; several
    values separated by `|` form a value list) or by numeric bin (`min_value` <= value < `max_value`, either end
    open). Attributes: the standard ones (`fit_attributes()`) and the custom ones declared in the
    `custom_attributes` seed. -#}
{% macro fit_rules() -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set attributes = fit_attributes() -%}
    {%- set rules = [] -%}
    {%- set seen = {} -%}
    {%- set claimed = {} -%}
    {%- set bins = {} -%}
    {%- for row in rubric_rows('fit_rules') -%}
        {%- set where = row['_where'] ~ ' (rule_id ' ~ row.get('rule_id') ~ ')' -%}
        {%- set attribute = row.get('attribute') -%}
        {%- if row.get('rule_id') is none -%}{{ _rule_error(where, 'rule_id is empty') }}{%- endif -%}
        {%- if row.get('rule_id') in seen -%}{{ _rule_error(where, _duplicate_rule_id(seen[row.get('rule_id')], row)) }}{%- endif -%}
        {%- do seen.update({row.get('rule_id'): row}) -%}
        {%- if row.get('score_family') not in ['fit', 'negative'] -%}{{ _rule_error(where, "score_family must be 'fit' or 'negative', got '" ~ row.get('score_family') ~ "'") }}{%- endif -%}
        {%- if attribute not in attributes -%}{{ _rule_error(where, _unknown_attribute(attribute, attributes)) }}{%- endif -%}
        {%- set kind = attributes[attribute].data_type -%}
        {%- set value = _blank_to_none(row.get('attribute_value')) -%}
        {%- set low = row.get('min_value') -%}
        {%- set high = row.get('max_value') -%}
        {%- set is_bin = low is not none or high is not none -%}
        {%- if value is none and not is_bin -%}{{ _rule_error(where, 'set attribute_value (a value, or values separated by |) or a numeric bin (min_value and/or max_value)') }}{%- endif -%}
        {%- if value is not none and is_bin -%}{{ _rule_error(where, 'set either attribute_value or a numeric bin (min_value/max_value), not both') }}{%- endif -%}
        {%- if is_bin and kind != 'number' -%}{{ _rule_error(where, "attribute '" ~ attribute ~ "' is " ~ kind ~ ": numeric bins (min_value/max_value) need a number attribute") }}{%- endif -%}
        {%- if is_bin and low is not none and high is not none and low >= high -%}{{ _rule_error(where, 'min_value (' ~ low ~ ') must be below max_value (' ~ high ~ ')') }}{%- endif -%}
        {%- if row.get('points') is none or row.get('points') == 0 -%}{{ _rule_error(where, 'points must be a non-zero number') }}{%- endif -%}
        {%- if (row.get('points') > 0) != (row.get('score_family') == 'fit') -%}{{ _rule_error(where, row.get('score_family') ~ ' rules need ' ~ ('positive' if row.get('score_family') == 'fit' else 'negative') ~ ' points, got ' ~ row.get('points')) }}{%- endif -%}
        {%- set values = (value | string).split('|') | map('trim') | map('lower') | list if value is not none else [] -%}
        {%- for item in values -%}
            {%- set key = attribute ~ '=' ~ item -%}
            {%- if item == '' -%}{{ _rule_error(where, 'attribute_value has an empty item in its | list') }}{%- endif -%}
            {%- if key in claimed -%}{{ _rule_error(where, "value '" ~ item ~ "' of attribute '" ~ attribute ~ "' is also matched by rule " ~ claimed[key] ~ ": a value scores through one rule") }}{%- endif -%}
            {%- do claimed.update({key: row.get('rule_id')}) -%}
        {%- endfor -%}
        {%- if is_bin -%}
            {%- for other in bins.get(attribute, []) -%}
                {%- if (other.high is none or low is none or low < other.high) and (high is none or other.low is none or other.low < high) -%}
                    {{ _rule_error(where, "bin [" ~ (low if low is not none else '-inf') ~ ", " ~ (high if high is not none else 'inf') ~ ") of attribute '" ~ attribute ~ "' overlaps bin [" ~ (other.low if other.low is not none else '-inf') ~ ", " ~ (other.high if other.high is not none else 'inf') ~ ") of rule " ~ other.rule_id) }}
                {%- endif -%}
            {%- endfor -%}
            {%- do bins.update({attribute: bins.get(attribute, []) + [{'low': low, 'high': high, 'rule_id': row.get('rule_id')}]}) -%}
        {%- endif -%}
        {%- do rules.append({
            'rule_id': row.get('rule_id'), 'score_family': row.get('score_family'), 'attribute': attribute,
            'attribute_value': value, 'values': values, 'min_value': low, 'max_value': high, 'points': row.get('points'),
        }) -%}
    {%- endfor -%}
    {{ return(rules) }}
{%- endmacro %}

{#- The rule ids of both rule seeds, checked to be unique across them: `dim_scoring_rules` and
    `fct_lead_score_components` key a rule by rule_id alone, so an engagement rule and a fit rule cannot share
    one. Fails naming the later row and where the id was first used; returns {rule_id: row}. -#}
{% macro rule_ids() -%}
    {%- if not execute -%}{{ return({}) }}{%- endif -%}
    {%- set seen = {} -%}
    {%- for seed_name in ['engagement_rules', 'fit_rules'] -%}
        {%- for row in rubric_rows(seed_name) -%}
            {%- set rule_id = row.get('rule_id') -%}
            {#- a repeat within one seed is that seed's validator's to report (engagement_rules(), fit_rules()) -#}
            {%- if rule_id in seen and seen[rule_id]['_file'] != row['_file'] -%}{{ _rule_error(row['_where'] ~ ' (rule_id ' ~ rule_id ~ ')', _duplicate_rule_id(seen[rule_id], row)) }}{%- endif -%}
            {%- if rule_id not in seen -%}{%- do seen.update({rule_id: row}) -%}{%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(seen) }}
{%- endmacro %}

{#- The problem of a rule whose rule_id an earlier row (`first`, a row of rubric_rows()) already has. -#}
{% macro _duplicate_rule_id(first, row) -%}
    {%- set also = 'on line ' ~ first['_line'] if first['_file'] == row['_file'] else first['_where'] -%}
    {{ return('duplicate rule_id (also ' ~ also ~ '); a rule_id names one rule across ' ~ _seed_file('engagement_rules') ~ ' and ' ~ _seed_file('fit_rules')) }}
{%- endmacro %}

{#- The problem of a fit rule on an attribute that is neither standard nor declared. -#}
{% macro _unknown_attribute(attribute, attributes) -%}
    {%- set custom = attributes.values() | selectattr('is_custom', 'equalto', true) | map(attribute='name') | list -%}
    {%- set standard = attributes.values() | selectattr('is_custom', 'equalto', false) | map(attribute='name') | join(', ') -%}
    {{ return("unknown attribute '" ~ attribute ~ "' (standard: " ~ standard ~ "; custom: " ~ (custom | join(', ') if custom else 'none declared') ~ "; or declare it in " ~ _seed_file('custom_attributes') ~ ")") }}
{%- endmacro %}

{#- Every attribute a fit rule may test, keyed by name: {name, data_type (text, number, boolean), entity (contact or
    account), is_custom}. The standard ones are columns of `int_contact_attributes`; custom ones are keys of the
    contact's or account's `custom_attributes` JSON, declared (with their type) in the `custom_attributes` seed. -#}
{% macro fit_attributes() -%}
    {%- set attributes = {} -%}
    {%- for name, data_type in standard_fit_attributes().items() -%}
        {%- do attributes.update({name: {'name': name, 'data_type': data_type, 'entity': 'contact', 'is_custom': false}}) -%}
    {%- endfor -%}
    {%- for attribute in custom_attributes() -%}
        {%- do attributes.update({attribute.name: attribute}) -%}
    {%- endfor -%}
    {{ return(attributes) }}
{%- endmacro %}

{#- The standard fit attributes (columns of `int_contact_attributes`) and their types. -#}
{% macro standard_fit_attributes() -%}
    {{ return({
        'seniority': 'text', 'job_function': 'text', 'industry': 'text', 'company_size_band': 'text',
        'employee_count': 'number', 'annual_revenue': 'number', 'country_code': 'text', 'region': 'text',
        'has_budget_authority': 'boolean', 'email_type': 'text', 'lead_source_channel': 'text',
    }) }}
{%- endmacro %}

{#- The custom attributes declared in the `custom_attributes` seed, validated: a list of {name, data_type, entity,
    is_custom}. -#}
{% macro custom_attributes() -%}
    {%- if not execute -%}{{ return([]) }}{%- endif -%}
    {%- set standard = standard_fit_attributes() -%}
    {%- set declared = [] -%}
    {%- set seen = {} -%}
    {%- for row in rubric_rows('custom_attributes') -%}
        {%- set where = row['_where'] ~ ' (attribute ' ~ row.get('attribute') ~ ')' -%}
        {%- set name = row.get('attribute') -%}
        {%- if name is none or not modules.re.match('^[a-z][a-z0-9_]*$', name) -%}{{ _rule_error(where, 'attribute must be lowercase letters, digits and _, starting with a letter') }}{%- endif -%}
        {%- if name in standard -%}{{ _rule_error(where, "'" ~ name ~ "' is a standard attribute: fit rules use it without declaring it") }}{%- endif -%}
        {%- if name in seen -%}{{ _rule_error(where, 'attribute declared twice (also on line ' ~ seen[name] ~ ')') }}{%- endif -%}
        {%- do seen.update({name: row['_line']}) -%}
        {%- if row.get('entity') not in ['contact', 'account'] -%}{{ _rule_error(where, "entity must be 'contact' or 'account', got '" ~ row.get('entity') ~ "'") }}{%- endif -%}
        {%- if row.get('data_type') not in ['text', 'number', 'boolean'] -%}{{ _rule_error(where, "data_type must be text, number or boolean, got '" ~ row.get('data_type') ~ "'") }}{%- endif -%}
        {%- do declared.append({'name': name, 'data_type': row.get('data_type'), 'entity': row.get('entity'), 'is_custom': true}) -%}
    {%- endfor -%}
    {{ return(declared) }}
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

{#- The project path of a seed's CSV file (e.g. seeds/scoring/fit_rules.csv), for error messages. -#}
{% macro _seed_file(seed_name) -%}
    {%- for node in (graph.get('nodes') or {}).values() if node.resource_type == 'seed' and node.name == seed_name -%}
        {{ return(node.original_file_path) }}
    {%- endfor -%}
    {{ return('seeds/scoring/' ~ seed_name ~ '.csv') }}
{%- endmacro %}

{#- The rows of a seed read at compile time (the rubric seeds, event_types, event_type_map) as dicts, each with
    `_line` (its line in the CSV file), `_file` (the seed's file) and `_where` (the file and line, for error
    messages). Var `rubric_rows` replaces a seed's
    rows with its own list (`{fit_rules: [{rule_id: F1, ...}]}`): dbt unit tests pin their rubric with it, so
    editing or learning the project's rubric never breaks them. -#}
{% macro rubric_rows(seed_name) -%}
    {%- set pinned = var('rubric_rows', none) -%}
    {%- set rows = [] -%}
    {%- if pinned is mapping and seed_name in pinned -%}
        {%- for item in pinned[seed_name] -%}
            {%- set row = {'_line': loop.index, '_file': 'var rubric_rows.' ~ seed_name, '_where': 'var rubric_rows.' ~ seed_name ~ ' item ' ~ loop.index} -%}
            {%- do row.update(item) -%}
            {%- do rows.append(row) -%}
        {%- endfor -%}
        {{ return(rows) }}
    {%- endif -%}
    {%- set table = _read_rule_seed(_seed_relation(seed_name)) -%}
    {%- set file = _seed_file(seed_name) -%}
    {%- for values in table.rows -%}
        {%- set row = {} -%}
        {%- for name in table.column_names -%}
            {%- do row.update({name: values[name]}) -%}
        {%- endfor -%}
        {%- do row.update({'_line': values['csv_row'] + 1, '_file': file, '_where': file ~ ' line ' ~ (values['csv_row'] + 1)}) -%}
        {%- do rows.append(row) -%}
    {%- endfor -%}
    {{ return(rows) }}
{%- endmacro %}

{% macro _read_rule_seed(relation) -%}
    {%- if adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) is none -%}
        {{ exceptions.raise_compiler_error("scoring rules: seed " ~ relation ~ " is not built yet; run `dbt seed` (or `dbt build`) first") }}
    {%- endif -%}
    {{ return(run_query('select ' ~ row_number_in_scan_order() ~ ' as csv_row, * from ' ~ relation)) }}
{%- endmacro %}

{% macro _blank_to_none(value) -%}
    {{ return(none if value is none or (value is string and value | trim == '') else value) }}
{%- endmacro %}

{% macro _rule_error(where, problem) -%}
    {{ exceptions.raise_compiler_error(where ~ ': ' ~ problem) }}
{%- endmacro %}
