{{
    config(
        materialized='incremental',
        pre_hook=[
            "{{ nested_loops_by_file() }}",
            "{{ listing_order_by_index() }}",
        ],
        post_hook=[
            "{{ index_first_row_of_file() }}",
            after_commit("{{ vacuum_built_table() }}"),
        ],
        incremental_strategy='append',
        indexes=[
            {'columns': ['attestation_id'], 'unique': true},
            {'columns': ['zpid']},
            {'columns': ['file_id']},
            {'columns': ['dbt_processed_at']},
        ],
    )
}}

{#-
    One row per report: a row of a loaded file whose zpid is valid, with what the layers
    above need from its file (miner and server time). The file's other facts (path, job,
    claimed time, row count) stay in stg_raw__source_files, by file_id: a 180-character
    path on every report was a quarter of this table. Rows without a usable zpid stay in
    staging, flagged; they cannot be attributed to a listing.
    Incremental by file: each run appends the reports of files not yet here. A full build
    writes them in listing (zpid) order: the by-listing models read them one slice of
    listings at a time, and a listing's reports then sit on a page or two. In file order
    each slice read nearly every page of the table (at 10M raw rows, int_report_origins
    took 97 to 168 s that way and 43 to 48 s in listing order). It reads the rows in that
    order by int_listing_rows_normalized's zpid index rather than sorting them
    (listing_order_by_index(), macros/planner_settings.sql).
-#}

with

source_files as (
    select * from {{ ref('stg_raw__source_files') }}
),

files_to_process as (
    select source_files.*
    from source_files
    where
        source_files.is_loaded
        and {{ files_not_yet_in_this('source_files') }}
),

listing_rows as (
    select * from {{ ref('int_listing_rows_validated') }}
    {{- only_files_to_process() }}
),

reports as (
    select
        -- deterministic across databases and reloads: the object version and the row
        md5(
            files_to_process.parquet_file_path
            || '|' || files_to_process.etag
            || '|' || listing_rows.row_index::text
        )::uuid as attestation_id,
        listing_rows.file_id,
        listing_rows.row_index,
        listing_rows.zpid,
        files_to_process.miner_hotkey,
        files_to_process.submitted_at,
        listing_rows.data_hash,
        listing_rows.is_valid,
        {%- for field in listing_fields() %}
        listing_rows.{{ field.name }},
        {%- endfor %}
        '{{ run_started_at }}'::timestamptz as dbt_processed_at
    from listing_rows
    inner join files_to_process on listing_rows.file_id = files_to_process.file_id
    where listing_rows.is_zpid_valid
)

select * from reports
{%- if not is_incremental() %}
-- listing order for the by-listing models (see the docblock above)
order by zpid
{%- endif %}
