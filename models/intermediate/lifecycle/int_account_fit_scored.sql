{#- One row per account created by the reference time: its firmographics (industry, company size band, country,
    region) scored with the fit rules of the scoring rubric (`fit_rules` seed) on those attributes. The account fit
    of an MQA (marketing qualified account). -#}

with

accounts as (
    select * from {{ ref('stg_crm__accounts') }}
    where {{ as_of_filter('created_at') }}
),

size_bands as (
    select * from {{ ref('company_size_bands') }}
),

rules as (
    select * from {{ ref('fit_rules') }}
    where attribute in ('industry', 'company_size_band', 'country_code', 'region')
),

firmographics as (
    select
        accounts.account_id,
        accounts.industry,
        size_bands.company_size_band,
        accounts.country_code,
        accounts.region
    from accounts
    left join size_bands
        on
            accounts.employee_count >= size_bands.min_employees
            and (size_bands.max_employees is null or accounts.employee_count <= size_bands.max_employees)
),

attribute_values as (
    {%- for attribute in ['industry', 'company_size_band', 'country_code', 'region'] %}
    select
        account_id,
        '{{ attribute }}' as attribute,
        cast({{ attribute }} as {{ dbt.type_string() }}) as attribute_value
    from firmographics
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

matched_rules as (
    select
        attribute_values.account_id,
        sum(rules.points) as fit_points,
        count(*) as matched_rule_count
    from attribute_values
    inner join rules
        on
            attribute_values.attribute = rules.attribute
            and attribute_values.attribute_value = rules.attribute_value
    group by attribute_values.account_id
)

select
    firmographics.account_id,
    firmographics.industry,
    firmographics.company_size_band,
    firmographics.country_code,
    firmographics.region,
    cast(coalesce(matched_rules.fit_points, 0) as {{ type_double() }}) as account_fit_points,
    cast(coalesce(matched_rules.matched_rule_count, 0) as {{ dbt.type_int() }}) as matched_rule_count
from firmographics
left join matched_rules
    on firmographics.account_id = matched_rules.account_id
