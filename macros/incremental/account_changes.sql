{#- Incremental state of `int_account_engagement_windowed`, an account-grained model downstream of the
    contact-grained ones. A build recomputes the history of the accounts whose contacts the score history
    recomputed since the model's watermark (their events, contact data or sales decisions changed, including
    contacts that lost events to another contact) and every account's row at the reference time. When contact or
    account rows arrived since, a contact may have changed account, and its previous account is not known
    downstream: everything is recomputed. -#}

{#- True when staged contact or account rows were loaded after `watermark` (less the lookback). One query, before
    the model runs; the caller declares `-- depends_on` the two staging models. -#}
{% macro account_membership_changed(watermark) -%}
    {%- if not execute or watermark is none -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set since = incremental_loaded_since(watermark) -%}
    {%- set membership_query -%}
        select
            exists (select 1 from {{ ref('stg_crm__contacts') }} where loaded_at > {{ since }})
            or exists (select 1 from {{ ref('stg_crm__accounts') }} where loaded_at > {{ since }})
            as has_changed
    {%- endset -%}
    {{ return(run_query(membership_query).columns[0].values()[0]) }}
{%- endmacro %}

{#- SQL selecting the accounts (`account_id`) whose history rows a build after `watermark` recomputes: the
    current accounts of the contacts `int_contact_score_history` rewrote since. -#}
{% macro changed_accounts(watermark) -%}
    select distinct leads.account_id
    from {{ ref('dim_leads') }} as leads
    where
        leads.account_id is not null
        and leads.contact_id in (
            select recomputed.contact_id
            from {{ ref('int_contact_score_history') }} as recomputed
            where {{ incremental_batch_is_new('recomputed._batch_loaded_at', watermark) }}
        )
{%- endmacro %}

{#- The watermark `relation` (an account-grained model) can be updated from, or none when everything must be
    recomputed (no valid state, or contacts may have changed account). -#}
{% macro account_watermark(relation) -%}
    {%- set watermark = incremental_watermark(relation) -%}
    {{ return(none if account_membership_changed(watermark) else watermark) }}
{%- endmacro %}

{#- Custom incremental strategy `replace_accounts`: delete every row at the reference time and every row of the
    accounts `changed_accounts` selects (all rows without a watermark), then insert the recomputed rows. -#}
{% macro get_incremental_replace_accounts_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set watermark = account_watermark(target) -%}
    delete from {{ target }}
    {%- if watermark is not none %}
    where is_reference_instant or account_id in ({{ changed_accounts(watermark) }})
    {%- endif %};

    {{ incremental_insert_sql(arg_dict) }}
{%- endmacro %}
