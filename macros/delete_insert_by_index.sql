{#- dbt's delete+insert strategy on PostgreSQL, for a single-column unique key: delete the
    target's rows whose key the new rows carry, found by the key's index with
    `= any(array(...))`, then insert the new rows. dbt's own `where key in (select ...)`
    is a semi-join; without nested loops (macros/planner_settings.sql) it is a hash join
    that reads the whole target to replace the rows of a few touched listings. Any other
    key falls back to dbt's own statement. -#}
{% macro postgres__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
    {%- if unique_key is string and not incremental_predicates -%}
        {%- set dest_cols_csv = get_quoted_csv(dest_columns | map(attribute="name")) -%}
        delete from {{ target }}
        where {{ unique_key }} = any({{ keys_of_new_rows(source, unique_key) }});

        insert into {{ target }} ({{ dest_cols_csv }})
        select {{ dest_cols_csv }}
        from {{ source }}
    {%- else -%}
        {{ default__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) }}
    {%- endif -%}
{%- endmacro %}

{#- The distinct values of the single-column key `key` in the new rows `source`, as an
    array: `key = any(...)` reads the target's rows of those keys by the key's index
    (also the changed_rows strategy, macros/incremental_changed_rows.sql). -#}
{% macro keys_of_new_rows(source, key) -%}
    array(select distinct {{ key }} from {{ source }})
{%- endmacro %}
