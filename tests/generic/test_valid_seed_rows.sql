{#- Validates a seed's rows when the test compiles, with the macro that reads them for the models (`validator`):
    a bad row fails `dbt build` right after the seed loads, with the macro's one-line message naming the file,
    the row and the column, and before any model reads the seed. `reads` lists the other seeds the validator reads
    (they become the test's parents, so it runs once they are loaded and holds back the models built from all of
    them). Returns no rows: the check is the compilation. -#}
{% test valid_seed_rows(model, validator, reads=[]) %}

{%- for seed_name in reads %}
-- depends_on: {{ ref(seed_name) }}
{%- endfor %}
{%- set validators = {
    'engagement_rules': engagement_rules, 'fit_rules': fit_rules, 'rule_ids': rule_ids,
    'event_type_map': event_type_map_rows, 'routing_rules': routing_rules,
} %}
{%- if validator not in validators %}
    {{ exceptions.raise_compiler_error("test valid_seed_rows: validator must be one of " ~ validators.keys() | list | join(', ') ~ ", got '" ~ validator ~ "'") }}
{%- endif %}
{%- if execute %}
    {%- do validators[validator]() %}
{%- endif %}

select * from {{ model }} where 1 = 0

{% endtest %}
