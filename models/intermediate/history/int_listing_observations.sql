{{ config(materialized='view') }}

{#-
    One row per report (attestation_id) with its observation time: when the miner saw the
    listing. That is the row's own scrape time (`datetime`), never later than the upload
    (server `submitted_at`): a miner's clock cannot place an observation after the server
    received it, and a row without a scrape time is observed at its upload. A view: the
    history marts read it for the listings a run touches, through int_listing_reports'
    zpid index.
-#}

with

listing_reports as (
    select * from {{ ref('int_listing_reports') }}
),

observations as (
    select
        attestation_id,
        zpid,
        miner_hotkey,
        least(coalesce(datetime, submitted_at), submitted_at) as observed_at,
        submitted_at,
        file_id,
        row_index
    from listing_reports
)

select * from observations
