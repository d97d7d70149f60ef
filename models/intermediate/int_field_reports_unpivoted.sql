{{
    config(
        materialized='incremental',
        pre_hook="{{ nested_loops_by_file() }}",
        incremental_strategy='append',
        indexes=[
            {'columns': ['zpid']},
            {'columns': ['file_id']},
        ],
    )
}}

{#-
    One row per (listing, field, miner, report) with a value: the reports of
    int_listing_reports turned into (field_name, field_value) pairs, the value in its
    canonical text (see canonical_text()). NULLs are dropped here: not reported is not a
    vote. Incremental by file, like int_listing_reports.
-#}

with

source_files as (
    select * from {{ ref('stg_raw__source_files') }}
),

listing_reports as (
    select * from {{ ref('int_listing_reports') }}
),

files_to_process as (
    select source_files.file_id
    from source_files
    where
        source_files.is_loaded
        and {{ files_not_yet_in_this('source_files') }}
),

unpivoted as (
    select
        listing_reports.attestation_id,
        listing_reports.zpid,
        field_pairs.field_name,
        field_pairs.field_value,
        listing_reports.miner_hotkey,
        listing_reports.submitted_at,
        listing_reports.file_id,
        listing_reports.row_index
    from listing_reports
    inner join files_to_process on listing_reports.file_id = files_to_process.file_id
    cross join
        lateral (
            values
            {%- for field in listing_fields() %}
            (
                '{{ field.name }}',
                {{ canonical_text('listing_reports.' ~ field.name, field.data_type) }}
            ){{ ',' if not loop.last }}
            {%- endfor %}
        ) as field_pairs (field_name, field_value)
    where field_pairs.field_value is not null
)

select * from unpivoted
