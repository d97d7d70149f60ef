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

{#- In an incremental run, the filter that keeps only the rows of the model's
    `files_to_process` CTE (the files files_not_yet_in_this() found); nothing in a full
    build. Call it as `{{- only_files_to_process() }}` on the line after an import CTE's
    `select * from ...`. `= any(array(...))` makes the planner read the new files' rows by
    the file_id index; joined to the files instead, it read whole tables (it cannot know
    how few files are new). -#}
{% macro only_files_to_process() -%}
    {%- if is_incremental() %}
    where file_id = any(array(select files_to_process.file_id from files_to_process))
    {%- endif -%}
{%- endmacro %}
