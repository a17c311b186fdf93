{#- One row per contact version and matching fit rule (`fit_rules` seed): the explicit (fit) score's components.
    Attributes are compared as text: industry lowercase, country as ISO code, budget authority as true/false. -#}
{%- do fit_rules() -%}

with

contact_attributes as (
    select * from {{ ref('int_contact_attributes') }}
),

rules as (
    select * from {{ ref('fit_rules') }}
),

attribute_values as (
    {%- set attributes = [
        'seniority', 'job_function', 'industry', 'company_size_band', 'country_code', 'region', 'email_type',
    ] %}
    {%- for attribute in attributes %}
    select
        contact_version_id,
        contact_id,
        version_number,
        '{{ attribute }}' as attribute,
        cast({{ attribute }} as {{ dbt.type_string() }}) as attribute_value
    from contact_attributes
    union all
    {%- endfor %}
    select
        contact_version_id,
        contact_id,
        version_number,
        'has_budget_authority' as attribute,
        case when has_budget_authority then 'true' when not has_budget_authority then 'false' end as attribute_value
    from contact_attributes
)

select
    attribute_values.contact_version_id || ':' || rules.rule_id as fit_component_id,
    attribute_values.contact_version_id,
    attribute_values.contact_id,
    attribute_values.version_number,
    rules.rule_id,
    rules.score_family,
    rules.attribute,
    attribute_values.attribute_value,
    rules.points
from attribute_values
inner join rules
    on
        attribute_values.attribute = rules.attribute
        and attribute_values.attribute_value = rules.attribute_value
