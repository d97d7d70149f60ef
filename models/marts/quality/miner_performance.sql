{#-
    One row per miner (hotkey): what it sent, how much of it was usable, how much of it
    the network agrees with, and how far its claims (file-name count and time) are from
    the facts. Definitions in the `miner_performance` docs (_quality__docs.md).
-#}

with

source_files as (
    select * from {{ ref('stg_raw__source_files') }}
),

listing_rows as (
    select * from {{ ref('stg_raw__listing_rows') }}
),

attestations as (
    select * from {{ ref('miner_attestations') }}
),

listing_agreement as (
    select * from {{ ref('int_miner_listing_agreement') }}
),

miner_uids as (
    select * from {{ ref('miner_uids') }}
),

network as (
    select max(submitted_at) as latest_submission_at
    from source_files
    where is_loaded
),

-- a file whose bytes are identical to an earlier file's (server time, then file id):
-- a re-upload of the same file, by the same miner or copied from another one
file_copies as (
    select
        file_id,
        miner_hotkey,
        row_number() over (
            partition by content_sha256 order by submitted_at, file_id
        ) > 1 as is_duplicate_file,
        first_value(miner_hotkey) over (
            partition by content_sha256 order by submitted_at, file_id
        ) as original_miner_hotkey
    from source_files
    where is_loaded and content_sha256 is not null
),

files as (
    select
        source_files.miner_hotkey,
        count(*) filter (where source_files.is_loaded) as files_loaded,
        count(*) filter (where not source_files.is_loaded) as files_rejected,
        coalesce(sum(source_files.row_count) filter (where source_files.is_loaded), 0)
            as rows_loaded,
        count(*) filter (where file_copies.is_duplicate_file) as duplicate_files,
        count(*) filter (
            where
            file_copies.is_duplicate_file
            and file_copies.original_miner_hotkey <> source_files.miner_hotkey
        ) as copied_files,
        count(*) filter (where source_files.is_record_count_mismatch) as count_mismatch_files,
        -- the file name's time minus the server's, in hours (the name's clock is naive:
        -- read as UTC, as the miners' reference code writes it)
        percentile_cont(0.5) within group (
            order by extract(
                epoch from source_files.claimed_submitted_at
                - (source_files.submitted_at at time zone 'UTC')
            ) / 3600
        ) as median_clock_skew_hours,
        max(abs(extract(
            epoch from source_files.claimed_submitted_at
            - (source_files.submitted_at at time zone 'UTC')
        ) / 3600)) as max_abs_clock_skew_hours,
        min(source_files.submitted_at) filter (where source_files.is_loaded)
            as first_submission_at,
        max(source_files.submitted_at) filter (where source_files.is_loaded)
            as last_submission_at
    from source_files
    left join file_copies on source_files.file_id = file_copies.file_id
    where source_files.miner_hotkey is not null
    group by source_files.miner_hotkey
),

invalid_rows as (
    select
        source_files.miner_hotkey,
        count(*) filter (where not listing_rows.is_valid) as invalid_rows
    from listing_rows
    inner join source_files on listing_rows.file_id = source_files.file_id
    group by source_files.miner_hotkey
),

reports as (
    select
        miner_hotkey,
        count(*) as reports_count,
        count(*) filter (where is_duplicate) as duplicate_reports,
        avg(validation_score) as mean_validation_score
    from attestations
    group by miner_hotkey
),

-- its current votes (its latest report of each scored field of each listing) and how
-- many of them are the consensus value, summed over the listings
agreement as (
    select
        miner_hotkey,
        sum(field_votes)::bigint as field_votes,
        sum(agreeing_votes)::bigint as agreeing_votes
    from listing_agreement
    group by miner_hotkey
),

final as (
    select
        files.miner_hotkey,
        miner_uids.miner_uid,
        files.files_loaded::integer as files_loaded,
        files.files_rejected::integer as files_rejected,
        files.rows_loaded::bigint as rows_loaded,
        coalesce(reports.reports_count, 0)::bigint as reports_count,
        coalesce(invalid_rows.invalid_rows, 0)::bigint as invalid_rows,
        round(
            coalesce(invalid_rows.invalid_rows, 0)::numeric / nullif(files.rows_loaded, 0), 6
        ) as invalid_row_share,
        coalesce(reports.duplicate_reports, 0)::bigint as duplicate_reports,
        round(reports.duplicate_reports::numeric / nullif(reports.reports_count, 0), 6)
            as duplicate_report_share,
        files.duplicate_files::integer as duplicate_files,
        files.copied_files::integer as copied_files,
        round(files.duplicate_files::numeric / nullif(files.files_loaded, 0), 6)
            as duplicate_file_share,
        coalesce(agreement.field_votes, 0)::bigint as field_votes,
        coalesce(agreement.agreeing_votes, 0)::bigint as agreeing_votes,
        round(agreement.agreeing_votes::numeric / nullif(agreement.field_votes, 0), 6)
            as agreement_ratio,
        round(reports.mean_validation_score, 6) as mean_validation_score,
        files.count_mismatch_files::integer as count_mismatch_files,
        round(files.median_clock_skew_hours::numeric, 3) as median_clock_skew_hours,
        round(files.max_abs_clock_skew_hours::numeric, 3) as max_abs_clock_skew_hours,
        files.first_submission_at,
        files.last_submission_at,
        {{ freshness_hours('network.latest_submission_at', 'files.last_submission_at') }}
            as hours_since_last_submission
    from files
    cross join network
    left join reports on files.miner_hotkey = reports.miner_hotkey
    left join invalid_rows on files.miner_hotkey = invalid_rows.miner_hotkey
    left join agreement on files.miner_hotkey = agreement.miner_hotkey
    left join miner_uids on files.miner_hotkey = miner_uids.miner_hotkey
)

select * from final
