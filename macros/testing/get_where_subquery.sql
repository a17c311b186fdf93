{#- dbt wraps the relation of every generic data test in this macro (the `where` test config). Ours adds one rule:
    a test on a model whose meta sets `data_test_scope: latest_batch` (the event-volume models, whose rows carry
    `_batch_loaded_at`) checks only the rows the latest build of that model wrote, unless var `data_test_scope` is
    `all`. An incremental build rewrites whole contacts (and every raw row sharing an event id with a new one), so
    a key that is unique within those rows is unique in the table; a full build writes every row in one batch, so
    it is tested whole. `mql test --all-rows` (var `data_test_scope: all`) checks every row. -#}
{% macro default__get_where_subquery(relation) -%}
    {%- set predicates = [] -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- do predicates.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- if data_test_scope_is_latest_batch(relation) -%}
        {%- do predicates.append('_batch_loaded_at = (select max(_batch_loaded_at) from ' ~ relation ~ ')') -%}
    {%- endif -%}
    {%- if predicates -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ predicates | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}

{#- True when data tests on `relation` check only the latest batch: var `data_test_scope` is `latest_batch` (the
    default), the model built into `relation` has `meta: {data_test_scope: latest_batch}` and the test itself does not
    opt out with `meta: {data_test_scope: all}` (a test comparing whole tables, such as `reconciles_with_source`). -#}
{% macro data_test_scope_is_latest_batch(relation) -%}
    {%- set scope = var('data_test_scope', 'latest_batch') -%}
    {%- set test_meta = config.get('meta') or {} -%}
    {%- if scope not in ('latest_batch', 'all') -%}
        {{ exceptions.raise_compiler_error("var data_test_scope: must be 'latest_batch' or 'all', got '" ~ scope ~ "'") }}
    {%- endif -%}
    {%- if scope == 'all' or test_meta.get('data_test_scope') == 'all' or not execute
        or relation.identifier is none -%}
        {{ return(false) }}
    {%- endif -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model'
        and (node.alias or node.name) | lower == relation.identifier | lower
        and node.schema | lower == (relation.schema or '') | lower -%}
        {{ return((node.config.meta or {}).get('data_test_scope') == 'latest_batch') }}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}
