{{ config(materialized='view') }}

{#-
    One row per report of a listing by a miner in a file: int_report_attestations (stored,
    indexed, incremental) with what is read where it lives: its file's facts (path, job,
    claimed time, row count) from stg_raw__source_files, the miner's UID from the
    miner_uids seed, and each report's validation_timestamp, its listing's latest report
    time (int_unified_listings.last_updated_at). Stored on every report, the file's facts
    were half of each row, and validation_timestamp would rewrite every attestation of a
    listing with each new report.

    One select, without the project's import CTEs, as unified_listings: PostgreSQL then
    flattens the view into the query that reads it, a filter on zpid or miner_hotkey uses
    int_report_attestations' indexes, and a query that reads neither the file's facts nor
    validation_timestamp joins neither (left joins on unique keys: raw.source_files'
    file_id, int_unified_listings' zpid). The seed has no unique index, so its join
    stays in every plan: a hash of its few rows.
-#}

select
    attestations.attestation_id,
    attestations.miner_hotkey,
    miner_uids.miner_uid,
    attestations.zpid,
    attestations.submission_timestamp,
    files.claimed_submitted_at as claimed_submission_timestamp,
    files.job_id,
    files.parquet_file_path,
    files.row_count::integer as record_count,
    attestations.data_hash,
    attestations.is_duplicate,
    attestations.is_validated,
    listings.last_updated_at as validation_timestamp,
    attestations.validation_score
from {{ ref('int_report_attestations') }} as attestations
left join {{ ref('stg_raw__source_files') }} as files
    on attestations.file_id = files.file_id
left join {{ ref('miner_uids') }} as miner_uids
    on attestations.miner_hotkey = miner_uids.miner_hotkey
left join {{ ref('int_unified_listings') }} as listings
    on attestations.zpid = listings.zpid
