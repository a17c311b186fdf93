{#- Classify the usable rows of a validated staging CTE into kept rows and duplicates, so staging can keep one row
    per key and the quarantine can account for every other row.

    Expects `rejection_reason` (null for usable rows), `row_fingerprint`, `_loaded_at`, `_source_file` and
    `_source_row` in `relation`. Adds:
      - `copy_number`: 1 for the first copy of an identical row (same key and values), 2.. for exact copies;
      - `version_number`: 1 for the row that wins for its key (newest by `newest_first_by`), 2.. for the others;
      - `duplicate_reason`: null for the kept row and for rejected rows, `exact_duplicate` for a verbatim copy,
        `superseded_reason` for an older or conflicting version of the same key.
    Rejected rows are never ranked: each of them goes to the quarantine with its own reason. -#}
{% macro classify_duplicates(relation, key_columns, newest_first_by, superseded_reason) -%}
    {%- set keys = key_columns | join(', ') -%}
    select
        numbered.*,
        case
            when numbered.rejection_reason is not null then null
            when numbered.copy_number > 1 then 'exact_duplicate'
            when numbered.version_number > 1 then '{{ superseded_reason }}'
        end as duplicate_reason
    from (
        select
            copies.*,
            row_number() over (
                partition by (copies.rejection_reason is null), {{ keys }}
                order by {{ newest_first_by }}, copies.copy_number, copies._source_file, copies._source_row
            ) as version_number
        from (
            select
                {{ relation }}.*,
                row_number() over (
                    partition by ({{ relation }}.rejection_reason is null), {{ keys }}, {{ relation }}.row_fingerprint
                    order by {{ relation }}._loaded_at, {{ relation }}._source_file, {{ relation }}._source_row
                ) as copy_number
            from {{ relation }}
        ) as copies
    ) as numbered
{%- endmacro %}
