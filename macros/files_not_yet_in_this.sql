{#- Incremental by file: a condition on `files_relation` (a relation with file_id) that,
    in an incremental run, keeps only the files whose rows this model does not hold yet
    (an anti-join on file_id, so a file committed late is still picked up); `true` in a
    full build. -#}
{% macro files_not_yet_in_this(files_relation) -%}
    {%- if is_incremental() -%}
        not exists (
            select 1 from {{ this }} as processed
            where processed.file_id = {{ files_relation }}.file_id
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
