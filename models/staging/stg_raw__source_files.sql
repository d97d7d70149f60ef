{#- One row per miner file version in the manifest (loaded or rejected), renamed and typed
    for the layers above. Objects the loader skipped as not listing files (scraped JSON,
    validator output) are no miner's submission and stay in raw only.

    One select, without import CTEs: PostgreSQL flattens a view without a WITH clause
    into the query that reads it, so a reader's filter on file_id uses raw's primary key
    and a left join on file_id whose columns a query does not read is removed
    (miner_attestations reads its file's facts this way). -#}

select
    file_id,
    load_run_id,
    source_uri as parquet_file_path,
    bucket,
    key as object_key,
    etag,
    size_bytes,
    -- the storage server's time is the trustworthy submission time; a local folder
    -- without one falls back to when the loader saw the file
    coalesce(last_modified, loaded_at) as submitted_at,
    last_modified as server_last_modified,
    -- the file name's timestamp: the miner's local clock, no zone, a claim
    claimed_timestamp as claimed_submitted_at,
    hotkey collate "C" as miner_hotkey,
    job_id,
    claimed_record_count,
    row_count,
    content_sha256,
    arrow_schema,
    status as file_status,
    status = 'loaded' as is_loaded,
    reject_reason,
    loaded_at
from {{ source('raw', 'source_files') }}
where status <> 'skipped'
