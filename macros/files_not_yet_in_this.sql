{#- Incremental by file: a condition on `files_relation` (a relation with file_id) that,
    in an incremental run, keeps only the files whose rows this model does not hold yet
    (an anti-join on file_id, so a file committed late is still picked up); `true` in a
    full build.

    It probes this model once per loaded file. Probing the (file_id, ...) index of every
    row read most of that index at 10M raw rows (38k files: 86k pages from disk, 5.7 s of
    a 1,000-row file's staging). So it first probes each file's first row (row_index 0,
    as the loader numbers them), in the partial index of index_first_row_of_file(), one
    entry per file; only the files without one there (the new files, and the few whose
    first row this model does not hold, e.g. a report's invalid zpid) are probed in the
    model's own file_id index. The second condition alone is the rule; the first only
    implies less. -#}
{% macro files_not_yet_in_this(files_relation) -%}
    {%- if is_incremental() -%}
        not exists (
            select 1 from {{ this }} as first_rows
            where first_rows.file_id = {{ files_relation }}.file_id and first_rows.row_index = 0
        )
        and not exists (
            select 1 from {{ this }} as processed
            where processed.file_id = {{ files_relation }}.file_id
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- Post-hook of the models that use files_not_yet_in_this(): the partial
    index of each file's first row (one entry per file, where the model's key index has one
    per row). Created when the table has none, i.e. after each full build. -#}
{% macro index_first_row_of_file() -%}
    do $first_row_of_file$
    begin
        if not exists (
            select 1 from pg_index
            where indrelid = '{{ this }}'::regclass and indpred is not null
        ) then
            create index on {{ this }} (file_id) where row_index = 0;
        end if;
    end
    $first_row_of_file$
{%- endmacro %}

{#- Post-hook of the same models, after their transaction commits (`after_commit`): VACUUM
    (visiting only the pages not yet all-visible: after an incremental run, the ones it
    appended), so that the anti-join above reads the partial index alone. Without it,
    every probe also fetched its heap row to check visibility: this project's PostgreSQL
    runs with autovacuum off, and at 10M raw rows the 38k probes read 56k pages (0.6 s). -#}
{% macro vacuum_built_table() -%}
    vacuum {{ this }}
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
