{{ config(materialized='view') }}

{#-
    One row per (zpid, field_name, valid_from): int_listing_intervals (stored, indexed,
    incremental) with each interval's miners as their hotkeys. The stored rows keep a key
    per miner, the file_id of its first file; the hotkey is that file's, read by
    raw.source_files' primary key (through stg_raw__source_files), sorted.

    One select, without the project's import CTEs, as unified_listings: PostgreSQL then
    flattens the view into the query that reads it, and a filter on zpid uses
    int_listing_intervals' unique index. A query that does not read miner_hotkeys does not
    look them up; one that does looks up each row's few keys (about 6 a row).
-#}

select
    intervals.zpid,
    intervals.field_name,
    intervals.field_value,
    intervals.valid_from,
    intervals.valid_to,
    intervals.is_current,
    array(
        select files.miner_hotkey
        from {{ ref('stg_raw__source_files') }} as files
        where files.file_id = any(intervals.miner_keys)
        order by files.miner_hotkey
    ) as miner_hotkeys,
    intervals.miner_count,
    intervals.report_count,
    intervals.first_observed_at,
    intervals.last_observed_at,
    intervals.opening_miner_count,
    intervals.opening_voter_count
from {{ ref('int_listing_intervals') }} as intervals
