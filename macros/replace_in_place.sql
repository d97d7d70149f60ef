{#- Pre-hook of a model recomputed whole whenever it runs (incremental, strategy append):
    the small per-file models on every run, the estimates and quality aggregates when
    they refresh on growth (macros/estimates.sql). An incremental run deletes its rows and
    inserts the new ones in the same transaction. A table materialization would build a new table and drop the old one with
    CASCADE, dropping every view that reads it (the alerts), so each run re-created those
    views as well. -#}
{% macro delete_rows_before_replacing() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
