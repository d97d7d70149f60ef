{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        tags=['reporting'],
        pre_hook="{{ delete_rows_before_replacing() }}",
        post_hook="{{ record_estimate() }}",
    )
}}

{#-
    One row per miner (hotkey): what it sent, how much of it was usable, how much of it
    the network agrees with, and how far its claims (file-name count and time) and its
    files' columns are from the facts. The per-file rules live in int_source_files_checked
    and their per-miner sums in int_miners_aggregated. Definitions in the
    `miner_performance` docs (_quality__docs.md).
-#}
with

miners as (
    select * from {{ ref('int_miners_aggregated') }}
),

checked_files as (
    select * from {{ ref('int_source_files_checked') }}
),

listing_rows as (
    select * from {{ ref('int_listing_rows_validated') }}
),

attestations as (
    select * from {{ ref('miner_attestations') }}
),

miner_uids as (
    select * from {{ ref('miner_uids') }}
),

network as (
    select max(last_submission_at) as latest_submission_at
    from miners
),

invalid_rows as (
    select
        checked_files.miner_hotkey,
        count(*) filter (where not listing_rows.is_valid) as invalid_rows
    from listing_rows
    inner join checked_files on listing_rows.file_id = checked_files.file_id
    group by checked_files.miner_hotkey
),

-- a report that fails validation (a value out of range or unparseable, or a listing
-- column missing from its file) scores 0
reports as (
    select
        miner_hotkey,
        count(*) as reports_count,
        count(*) filter (where is_duplicate) as duplicate_reports,
        avg(case when is_validated then validation_score else 0 end) as mean_validation_score
    from attestations
    group by miner_hotkey
),

final as (
    select
        miners.miner_hotkey,
        miner_uids.miner_uid,
        miners.files_loaded::integer as files_loaded,
        miners.files_rejected::integer as files_rejected,
        miners.rows_loaded::bigint as rows_loaded,
        coalesce(reports.reports_count, 0)::bigint as reports_count,
        coalesce(invalid_rows.invalid_rows, 0)::bigint as invalid_rows,
        round(
            coalesce(invalid_rows.invalid_rows, 0)::numeric / nullif(miners.rows_loaded, 0), 6
        ) as invalid_row_share,
        coalesce(reports.duplicate_reports, 0)::bigint as duplicate_reports,
        round(reports.duplicate_reports::numeric / nullif(reports.reports_count, 0), 6)
            as duplicate_report_share,
        miners.duplicate_files::integer as duplicate_files,
        miners.copied_files::integer as copied_files,
        miners.duplicate_file_share,
        miners.field_votes,
        miners.agreeing_votes,
        miners.agreement_ratio,
        round(reports.mean_validation_score, 6) as mean_validation_score,
        miners.count_mismatch_files::integer as count_mismatch_files,
        miners.files_with_schema_drift::integer as files_with_schema_drift,
        miners.missing_column_names,
        miners.extra_column_names,
        round(miners.median_clock_skew_hours::numeric, 3) as median_clock_skew_hours,
        round(miners.max_abs_clock_skew_hours::numeric, 3) as max_abs_clock_skew_hours,
        miners.first_submission_at,
        miners.last_submission_at,
        {{ freshness_hours('network.latest_submission_at', 'miners.last_submission_at') }}
            as hours_since_last_submission
    from miners
    cross join network
    left join reports on miners.miner_hotkey = reports.miner_hotkey
    left join invalid_rows on miners.miner_hotkey = invalid_rows.miner_hotkey
    left join miner_uids on miners.miner_hotkey = miner_uids.miner_hotkey
)

select * from final
