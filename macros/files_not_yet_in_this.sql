{#- Incremental by file: in an incremental run, the condition (to follow a `where`) that
    keeps only the files of `files_relation` whose rows this model does not hold yet (an
    anti-join on file_id, so a file committed late is still picked up); nothing in a full
    build. -#}
{% macro files_not_yet_in_this(files_relation) -%}
    {%- if is_incremental() %}
        and not exists (
            select 1 from {{ this }} as processed
            where processed.file_id = {{ files_relation }}.file_id
        )
    {%- endif -%}
{%- endmacro %}
