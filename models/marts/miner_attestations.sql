{{ config(materialized='view') }}

{#-
    One row per report of a listing by a miner in a file: int_report_attestations (stored,
    indexed, incremental) with each report's validation_timestamp, its listing's latest
    report time (int_unified_listings.last_updated_at). Read when queried, so that a new
    report does not rewrite every attestation of its listing.

    One select, without the project's import CTEs, as unified_listings: PostgreSQL then
    flattens the view into the query that reads it, a filter on zpid or miner_hotkey uses
    int_report_attestations' indexes, and a query that does not read validation_timestamp
    does not join at all (a left join on int_unified_listings' unique zpid index).
-#}

select
    attestations.attestation_id,
    attestations.miner_hotkey,
    attestations.miner_uid,
    attestations.zpid,
    attestations.submission_timestamp,
    attestations.claimed_submission_timestamp,
    attestations.job_id,
    attestations.parquet_file_path,
    attestations.record_count,
    attestations.data_hash,
    attestations.is_duplicate,
    attestations.is_validated,
    listings.last_updated_at as validation_timestamp,
    attestations.validation_score
from {{ ref('int_report_attestations') }} as attestations
left join {{ ref('int_unified_listings') }} as listings
    on attestations.zpid = listings.zpid
