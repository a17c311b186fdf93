{#- SQL made from the validated rubric (`engagement_rules()`, `fit_rules()`): the rules become literal rows and
    conditions at compile time, so a unit test that pins its rubric (var `rubric_rows`) is scored with exactly
    those rules, and every condition kind compiles to plain SQL on every warehouse. -#}

{#- A SQL literal of a Python/Jinja value: null, true/false, a number, or quoted text (Spark's own escaping in
    `spark__sql_literal`, which the Spark seed loader uses too). -#}
{% macro sql_literal(value) -%}
    {{ return(adapter.dispatch('sql_literal', 'mql_warehouse')(value)) }}
{%- endmacro %}

{% macro default__sql_literal(value) -%}
    {%- if value is none -%}null
    {%- elif value is sameas true or value is sameas false -%}{{ 'true' if value else 'false' }}
    {%- elif value is number -%}{{ value }}
    {%- else -%}'{{ value | string | replace("'", "''") }}'
    {%- endif -%}
{%- endmacro %}

{#- The engagement rules as rows: rule_id, score_family, event_type, points (per event, or per unit of the rule's
    quantity), max_per_day, is_fast_track. -#}
{% macro engagement_rule_rows(rules) -%}
    {%- for rule in rules %}
    select
        cast({{ sql_literal(rule.rule_id) }} as {{ dbt.type_string() }}) as rule_id,
        cast({{ sql_literal(rule.score_family) }} as {{ dbt.type_string() }}) as score_family,
        cast({{ sql_literal(rule.event_type) }} as {{ dbt.type_string() }}) as event_type,
        cast({{ rule.points }} as {{ type_double() }}) as points,
        cast({{ sql_literal(rule.max_per_day) }} as {{ dbt.type_int() }}) as max_per_day,
        {{ 'true' if rule.is_fast_track else 'false' }} as is_fast_track
    {{ 'union all' if not loop.last }}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as rule_id,
        cast(null as {{ dbt.type_string() }}) as score_family,
        cast(null as {{ dbt.type_string() }}) as event_type,
        cast(null as {{ type_double() }}) as points,
        cast(null as {{ dbt.type_int() }}) as max_per_day,
        false as is_fast_track
    where 1 = 0
    {%- endfor %}
{%- endmacro %}

{#- The keys of the events' `properties` JSON that the rules read (conditions and quantities), sorted. -#}
{% macro event_rule_properties(rules) -%}
    {%- set keys = [] -%}
    {%- for rule in rules -%}
        {%- for field in [rule.condition.field if rule.condition else none, rule.quantity.field if rule.quantity else none] -%}
            {%- if field is not none and field.startswith('properties.') and field[11:] not in keys -%}
                {%- do keys.append(field[11:]) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(keys | sort) }}
{%- endmacro %}

{#- One column per property the rules read (`property_<key>`, as text), extracted from `properties_column`. -#}
{% macro event_property_columns(rules, properties_column) -%}
    {%- for key in event_rule_properties(rules) %}
        {{ json_extract_text(properties_column, key) }} as property_{{ key }},
    {%- endfor %}
{%- endmacro %}

{#- The SQL expression of a rule field on the events relation `events`, as text or as a number. -#}
{% macro event_field_sql(events, field, as_number) -%}
    {%- set column = events ~ '.' ~ ('property_' ~ field[11:] if field.startswith('properties.') else field) -%}
    {%- if as_number and field != 'duration_seconds' -%}
        {{ try_cast(column, type_double()) }}
    {%- else -%}
        {{ column }}
    {%- endif -%}
{%- endmacro %}

{#- True when the event (alias `events`) meets the condition and has the quantity of the rule matched (alias `rules`,
    joined on event type): one `or` branch per rule with a condition or a quantity; the other rules match on type. -#}
{% macro event_rule_matches(events, rules_alias, rules) -%}
    {%- set plain = [] -%}
    {%- set branches = [] -%}
    {%- for rule in rules -%}
        {%- set tests = [] -%}
        {%- if rule.condition -%}
            {%- set condition = rule.condition -%}
            {%- set numeric = condition.number is not none -%}
            {%- set value = event_field_sql(events, condition.field, numeric) -%}
            {%- if numeric -%}
                {%- do tests.append(value ~ ' ' ~ condition.operator ~ ' ' ~ condition.number) -%}
            {%- elif condition.operator == 'contains' -%}
                {%- do tests.append(dbt.position(sql_literal(condition.choices[0] | lower), 'lower(' ~ value ~ ')') ~ ' > 0') -%}
            {%- else -%}
                {%- set quoted = [] -%}
                {%- for item in condition.choices -%}{%- do quoted.append(sql_literal(item | string)) -%}{%- endfor -%}
                {%- set negated = 'not ' if condition.operator in ['!=', 'not in'] else '' -%}
                {%- do tests.append(value ~ ' ' ~ negated ~ 'in (' ~ quoted | join(', ') ~ ')') -%}
            {%- endif -%}
        {%- endif -%}
        {%- if rule.quantity -%}
            {%- do tests.append(event_field_sql(events, rule.quantity.field, true) ~ ' >= ' ~ rule.quantity.unit) -%}
        {%- endif -%}
        {%- if tests -%}
            {%- do branches.append('(' ~ rules_alias ~ '.rule_id = ' ~ sql_literal(rule.rule_id) ~ ' and ' ~ tests | join(' and ') ~ ')') -%}
        {%- else -%}
            {%- do plain.append(sql_literal(rule.rule_id)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if plain -%}{%- do branches.insert(0, rules_alias ~ '.rule_id in (' ~ plain | join(', ') ~ ')') -%}{%- endif -%}
    ({{ branches | join('\n        or ') if branches else 'false' }})
{%- endmacro %}

{#- The points an event earns from the matched rule (alias `rules`): the rule's points, or for a rule with a
    quantity, its points per whole unit of the quantity. -#}
{% macro event_rule_points(events, rules_alias, rules) -%}
    {%- set counted = rules | selectattr('quantity') | list -%}
    {%- if counted -%}
    case
        {%- for rule in counted %}
        when {{ rules_alias }}.rule_id = {{ sql_literal(rule.rule_id) }}
            then {{ rules_alias }}.points * floor({{ event_field_sql(events, rule.quantity.field, true) }} / {{ rule.quantity.unit }})
        {%- endfor %}
        else {{ rules_alias }}.points
    end
    {%- else -%}
    {{ rules_alias }}.points
    {%- endif -%}
{%- endmacro %}

{#- The fit rules as matcher rows: one per value of a value rule (lowercase `match_value`) and one per numeric bin
    (`min_value` inclusive, `max_value` exclusive, null = open): rule_id, score_family, attribute, match_value,
    min_value, max_value, points. -#}
{% macro fit_rule_matchers(rules) -%}
    {%- set rows = [] -%}
    {%- for rule in rules -%}
        {%- for value in (rule['values'] or [none]) -%}
            {%- do rows.append({'rule': rule, 'value': value}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- for row in rows %}
    select
        cast({{ sql_literal(row.rule.rule_id) }} as {{ dbt.type_string() }}) as rule_id,
        cast({{ sql_literal(row.rule.score_family) }} as {{ dbt.type_string() }}) as score_family,
        cast({{ sql_literal(row.rule.attribute) }} as {{ dbt.type_string() }}) as attribute,
        cast({{ sql_literal(row.value) }} as {{ dbt.type_string() }}) as match_value,
        cast({{ sql_literal(row.rule.min_value) }} as {{ type_double() }}) as min_value,
        cast({{ sql_literal(row.rule.max_value) }} as {{ type_double() }}) as max_value,
        cast({{ row.rule.points }} as {{ type_double() }}) as points
    {{ 'union all' if not loop.last }}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as rule_id,
        cast(null as {{ dbt.type_string() }}) as score_family,
        cast(null as {{ dbt.type_string() }}) as attribute,
        cast(null as {{ dbt.type_string() }}) as match_value,
        cast(null as {{ type_double() }}) as min_value,
        cast(null as {{ type_double() }}) as max_value,
        cast(null as {{ type_double() }}) as points
    where 1 = 0
    {%- endfor %}
{%- endmacro %}
