{#- One row per contact version and matching fit rule (`fit_rules` seed): the explicit (fit) score's components.
    A rule matches an attribute by value (case-insensitive; a `|` list is a value list) or by numeric bin
    (min_value <= value < max_value). Attributes are the standard columns of `int_contact_attributes` (budget
    authority as true/false) and the custom attributes declared in the `custom_attributes` seed, read from the
    contact version's or its account's `custom_attributes` JSON. Only attributes some rule tests are read. -#}
{%- set rules_list = fit_rules() -%}
{%- set attributes = fit_attributes() -%}
{%- set tested = rules_list | map(attribute='attribute') | unique | sort -%}
-- depends_on: {{ ref('fit_rules') }}, {{ ref('custom_attributes') }}

with

contact_attributes as (
    select * from {{ ref('int_contact_attributes') }}
),

-- the validated rubric (seed `fit_rules`, or var rubric_rows in a unit test): one row per listed value or bin
rule_matchers as (
    {{ fit_rule_matchers(rules_list) }}
),

attribute_values as (
    {%- for name in tested %}
    {%- set attribute = attributes[name] %}
    {%- if not attribute.is_custom and attribute.data_type == 'boolean' %}
        {%- set text_value = "case when " ~ name ~ " then 'true' when not " ~ name ~ " then 'false' end" %}
    {%- elif not attribute.is_custom %}
        {%- set text_value = "cast(" ~ name ~ " as " ~ dbt.type_string() ~ ")" %}
    {%- else %}
        {%- set json_column = 'custom_attributes' if attribute.entity == 'contact' else 'account_custom_attributes' %}
        {%- set text_value = json_extract_text(json_column, name) %}
    {%- endif %}
    select
        contact_version_id,
        contact_id,
        version_number,
        '{{ name }}' as attribute,
        {{ text_value }} as attribute_value,
        {%- if attribute.data_type == 'number' and not attribute.is_custom %}
        cast({{ name }} as {{ type_double() }}) as attribute_number
        {%- elif attribute.data_type == 'number' %}
        {{ try_cast(text_value, type_double()) }} as attribute_number
        {%- else %}
        cast(null as {{ type_double() }}) as attribute_number
        {%- endif %}
    from contact_attributes
    {{ 'union all' if not loop.last }}
    {%- else %}
    select
        contact_version_id,
        contact_id,
        version_number,
        cast(null as {{ dbt.type_string() }}) as attribute,
        cast(null as {{ dbt.type_string() }}) as attribute_value,
        cast(null as {{ type_double() }}) as attribute_number
    from contact_attributes
    where 1 = 0
    {%- endfor %}
)

select
    attribute_values.contact_version_id || ':' || rule_matchers.rule_id as fit_component_id,
    attribute_values.contact_version_id,
    attribute_values.contact_id,
    attribute_values.version_number,
    rule_matchers.rule_id,
    rule_matchers.score_family,
    rule_matchers.attribute,
    attribute_values.attribute_value,
    attribute_values.attribute_number,
    rule_matchers.points
from attribute_values
inner join rule_matchers
    on
        attribute_values.attribute = rule_matchers.attribute
        and (
            lower(trim(attribute_values.attribute_value)) = rule_matchers.match_value
            or (
                rule_matchers.match_value is null
                and attribute_values.attribute_number >= coalesce(rule_matchers.min_value, attribute_values.attribute_number)
                and (rule_matchers.max_value is null or attribute_values.attribute_number < rule_matchers.max_value)
            )
        )
