{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        pre_hook="{{ delete_rows_before_replacing() }}",
    )
}}

{#-
    One row per miner hotkey in the manifest: its per-file facts (int_source_files_checked)
    summed, with the server time of the first evidence of each, and its current votes
    summed (int_miner_agreement_summed, refreshed on growth). What miner_performance shows
    and the per-miner alerts (int_alert_*) judge.
-#}

with

checked_files as (
    select * from {{ ref('int_source_files_checked') }}
    where miner_hotkey is not null
),

agreement as (
    select * from {{ ref('int_miner_agreement_summed') }}
),

drifted_columns as (
    select
        miner_hotkey,
        'missing' as drift,
        unnest(missing_columns) as column_name
    from checked_files
    union all
    select
        miner_hotkey,
        'extra' as drift,
        unnest(extra_columns) as column_name
    from checked_files
),

drift_names as (
    select
        miner_hotkey,
        string_agg(distinct column_name, ', ' order by column_name) filter (
            where drift = 'missing'
        ) as missing_column_names,
        string_agg(distinct column_name, ', ' order by column_name) filter (
            where drift = 'extra'
        ) as extra_column_names
    from drifted_columns
    group by miner_hotkey
),

files as (
    select
        miner_hotkey,
        count(*) filter (where is_loaded) as files_loaded,
        count(*) filter (where not is_loaded) as files_rejected,
        coalesce(sum(row_count) filter (where is_loaded), 0) as rows_loaded,
        count(*) filter (where is_duplicate_file) as duplicate_files,
        count(*) filter (where is_copied_file) as copied_files,
        string_agg(distinct original_miner_hotkey, ', ' order by original_miner_hotkey) filter (
            where is_copied_file
        ) as copied_from_hotkeys,
        count(*) filter (where is_record_count_mismatch) as count_mismatch_files,
        count(*) filter (where has_schema_drift) as files_with_schema_drift,
        percentile_cont(0.5) within group (order by clock_skew_hours) as median_clock_skew_hours,
        max(abs(clock_skew_hours)) as max_abs_clock_skew_hours,
        min(submitted_at) filter (where is_loaded) as first_submission_at,
        max(submitted_at) filter (where is_loaded) as last_submission_at,
        min(submitted_at) filter (where is_duplicate_file) as first_duplicate_at,
        min(submitted_at) filter (where is_record_count_mismatch) as first_mismatch_at,
        min(submitted_at) filter (where has_schema_drift) as first_schema_drift_at
    from checked_files
    group by miner_hotkey
),

final as (
    select
        files.*,
        round(files.duplicate_files::numeric / nullif(files.files_loaded, 0), 6)
            as duplicate_file_share,
        drift_names.missing_column_names,
        drift_names.extra_column_names,
        coalesce(agreement.field_votes, 0)::bigint as field_votes,
        coalesce(agreement.agreeing_votes, 0)::bigint as agreeing_votes,
        round(agreement.agreeing_votes::numeric / nullif(agreement.field_votes, 0), 6)
            as agreement_ratio
    from files
    left join drift_names on files.miner_hotkey = drift_names.miner_hotkey
    left join agreement on files.miner_hotkey = agreement.miner_hotkey
)

select * from final
