{#- Every raw row that staging did not keep, from every raw table, with why: `removal_kind` says whether it was
    rejected (unusable) or a duplicate of a kept row, `reason_code` says which rule removed it, `raw_values` holds
    the row as it arrived. Raw rows = staged rows + these rows, per table (tested). -#}
{#- The raw values are read back from the raw table for the removed rows only (by file and row), so the JSON is
    built for the few rows that need it, not for every raw row. -#}
{%- set base_models = [
    ('crm', 'contacts', 'base_crm__contacts', 'contact_id'),
    ('crm', 'accounts', 'base_crm__accounts', 'account_id'),
    ('crm', 'lead_stage_history', 'base_crm__lead_stage_history', 'stage_change_id'),
    ('crm', 'opportunities', 'base_crm__opportunities', 'opportunity_id'),
    ('crm', 'sales_activities', 'base_crm__sales_activities', 'activity_id'),
    ('crm', 'sales_reps', 'base_crm__sales_reps', 'owner_id'),
    ('marketing', 'events', 'base_marketing__events', 'event_id'),
    ('marketing', 'campaigns', 'base_marketing__campaigns', 'campaign_id'),
    ('marketing', 'marketing_spend', 'base_marketing__marketing_spend', 'spend_id'),
] -%}

with

{% for source_name, table_name, base_model, key_column in base_models %}
{{ table_name }}_removed as (
    select
        '{{ source_name }}' as source_name,
        '{{ table_name }}' as source_table,
        cast(base.{{ key_column }} as {{ dbt.type_string() }}) as source_key,
        case when base.rejection_reason is not null then 'rejected' else 'duplicate' end as removal_kind,
        coalesce(base.rejection_reason, base.duplicate_reason) as reason_code,
        {{ json_object_text(source_column_names(source_name, table_name), 'raw_row') }} as raw_values,
        base._source_file as source_file,
        base._source_row as source_row,
        base._loaded_at as loaded_at
    from {{ ref(base_model) }} as base
    inner join {{ source(source_name, table_name) }} as raw_row
        on base._source_file = raw_row._source_file and base._source_row = raw_row._source_row
    where base.rejection_reason is not null or base.duplicate_reason is not null
),
{% endfor %}

removed_rows as (
    {% for source_name, table_name, base_model, key_column in base_models %}
    select * from {{ table_name }}_removed
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    {{ dbt.hash(dbt.concat([
        "source_table", "'|'", "source_file", "'|'", "cast(source_row as " ~ dbt.type_string() ~ ")",
    ])) }} as quarantine_row_id,
    source_name,
    source_table,
    source_key,
    removal_kind,
    reason_code,
    raw_values,
    source_file,
    source_row,
    loaded_at
from removed_rows
