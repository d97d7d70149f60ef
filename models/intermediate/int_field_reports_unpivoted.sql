{{ config(materialized='view') }}

{#-
    One row per (listing, field, miner, report) with a value: the reports of
    int_listing_reports turned into (field_name, field_value) pairs, the value in its
    canonical text (see canonical_text()). NULLs are dropped here: not reported is not a
    vote. A view for analysts: a filter on zpid reads int_listing_reports by its zpid
    index. The models work on whole reports (sorted once per listing and miner) and
    unpivot only after that.
-#}

with

listing_reports as (
    select * from {{ ref('int_listing_reports') }}
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
    cross join
        lateral (
            values
            {%- for field in listing_fields() %}
            (
                '{{ field.name }}' collate "C",
                {{ canonical_text('listing_reports.' ~ field.name, field.data_type) }}
            ){{ ',' if not loop.last }}
            {%- endfor %}
        ) as field_pairs (field_name, field_value)
    where field_pairs.field_value is not null
)

select * from unpivoted
