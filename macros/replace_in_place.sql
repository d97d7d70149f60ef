{#- Pre-hook of a small model recomputed whole on every run (incremental, strategy
    append): an incremental run deletes its rows and inserts the new ones in the same
    transaction. A table materialization would build a new table and drop the old one with
    CASCADE, dropping every view that reads it (the alerts), so each run re-created those
    views as well. -#}
{% macro delete_rows_before_replacing() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
