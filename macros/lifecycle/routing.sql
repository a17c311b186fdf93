{#- The routing rules and pools read at compile time, validated row by row.
    routing_rules: rule_id, priority (lower first), attribute (one of routing_attributes(), or `any` for a
    fallback), attribute_values ('|'-separated, case-insensitive; empty for `any`), pool, description.
    routing_pools: pool, owner_id, weight (a positive integer: the owner's share of the pool's round robin).
    Returns {rules: [...] sorted by priority, pools: {pool: [{owner_id, weight}]}}. -#}
{% macro routing_attributes() -%}
    {{ return(['country_code', 'region', 'company_size_band', 'industry', 'lead_source_channel', 'account_id', 'any']) }}
{%- endmacro %}

{% macro routing_rules() -%}
    {%- if not execute -%}{{ return({'rules': [], 'pools': {}}) }}{%- endif -%}
    {%- set pools = {} -%}
    {%- for row in rubric_rows('routing_pools') -%}
        {%- set pool = _blank_to_none(row.get('pool')) -%}
        {%- set owner = _blank_to_none(row.get('owner_id')) -%}
        {%- set weight = row.get('weight') -%}
        {%- if pool is none or owner is none -%}{{ _rule_error(row['_where'], 'pool and owner_id are required') }}{%- endif -%}
        {%- if weight is none or weight < 1 or weight != weight | int -%}{{ _rule_error(row['_where'] ~ ' (pool ' ~ pool ~ ')', 'weight must be a whole number of at least 1, got ' ~ weight) }}{%- endif -%}
        {%- do pools.setdefault(pool, []).append({'owner_id': owner, 'weight': weight | int}) -%}
    {%- endfor -%}
    {%- set rules = [] -%}
    {%- set priorities = {} -%}
    {%- for row in rubric_rows('routing_rules') -%}
        {%- set where = row['_where'] ~ ' (rule_id ' ~ row.get('rule_id') ~ ')' -%}
        {%- set attribute = _blank_to_none(row.get('attribute')) -%}
        {%- if attribute not in routing_attributes() -%}{{ _rule_error(where, "attribute '" ~ attribute ~ "' is not one of " ~ routing_attributes() | join(', ')) }}{%- endif -%}
        {%- if row.get('pool') not in pools -%}{{ _rule_error(where, "pool '" ~ row.get('pool') ~ "' has no owner in " ~ _seed_file('routing_pools')) }}{%- endif -%}
        {%- if row.get('priority') in priorities -%}{{ _rule_error(where, 'priority ' ~ row.get('priority') ~ ' is also rule ' ~ priorities[row.get('priority')] ~ "'s: priorities decide which rule wins, so they differ") }}{%- endif -%}
        {%- do priorities.update({row.get('priority'): row.get('rule_id')}) -%}
        {%- set values = [] -%}
        {%- for value in (_blank_to_none(row.get('attribute_values')) or '').split('|') if value | trim -%}
            {%- do values.append(value | trim | lower) -%}
        {%- endfor -%}
        {%- if attribute != 'any' and not values -%}{{ _rule_error(where, 'attribute_values is empty: list the values the rule routes, separated by |') }}{%- endif -%}
        {%- do rules.append({'rule_id': row.get('rule_id'), 'priority': row.get('priority'), 'attribute': attribute, 'values': values, 'pool': row.get('pool')}) -%}
    {%- endfor -%}
    {{ return({'rules': rules | sort(attribute='priority'), 'pools': pools}) }}
{%- endmacro %}

{#- The `output` (rule_id or pool) of the first of `rules` (routing_rules().rules, by priority) whose attribute
    holds one of its values (compared in lower case; `any` always matches); null when none matches. -#}
{% macro routing_match(rules, output) -%}
    {%- if not rules -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        case
        {%- for rule in rules %}
            when {% if rule.attribute == 'any' %}true{% else %}lower(cast({{ rule.attribute }} as {{ dbt.type_string() }})) in ({% for value in rule['values'] %}'{{ value | replace("'", "''") }}'{{ ', ' if not loop.last }}{% endfor %}){% endif %} then '{{ rule[output] | replace("'", "''") }}'
        {%- endfor %}
        end
    {%- endif -%}
{%- endmacro %}
