{{ config(materialized='view') }}

{#-
    One row per open anomaly. A view, so that `resi alerts` always sees the current state
    (the stale-source check compares with the clock at query time). Each kind opens at its
    warn threshold and is an error from its error threshold; thresholds are dbt vars
    (dbt_project.yml, `alert_*`). Kinds and thresholds: the `quality_alerts` docs.
-#}

with

miner_performance as (
    select * from {{ ref('miner_performance') }}
),

source_files as (
    select * from {{ ref('stg_raw__source_files') }}
),

-- the file name's time minus the server's, per file (hours)
file_facts as (
    select
        *,
        coalesce(miner_hotkey, '(key without a hotkey)') as subject,
        extract(
            epoch from claimed_submitted_at - (submitted_at at time zone 'UTC')
        ) / 3600 as clock_skew_hours,
        row_number() over (
            partition by content_sha256 order by submitted_at, file_id
        ) > 1
        and is_loaded
        and content_sha256 is not null as is_duplicate_file
    from source_files
),

first_evidence as (
    select
        subject,
        min(submitted_at) filter (where is_duplicate_file) as first_duplicate_at,
        min(submitted_at) filter (where is_record_count_mismatch) as first_mismatch_at,
        min(submitted_at) filter (
            where abs(clock_skew_hours) > {{ var('alert_clock_skew_hours_warn') }}
        ) as first_skewed_at,
        min(coalesce(server_last_modified, loaded_at)) filter (where not is_loaded)
            as first_rejected_at,
        count(*) filter (where not is_loaded) as rejected_files,
        max(reject_reason) filter (where not is_loaded) as a_reject_reason
    from file_facts
    group by subject
),

low_agreement as (
    select
        'low_agreement' as kind,
        case
            when agreement_ratio < {{ var('alert_agreement_error_below') }} then 'error'
            else 'warn'
        end as severity,
        miner_hotkey as subject,
        agreement_ratio as figure,
        case
            when agreement_ratio < {{ var('alert_agreement_error_below') }}
                then {{ var('alert_agreement_error_below') }}
            else {{ var('alert_agreement_warn_below') }}
        end as threshold,
        first_submission_at as first_seen_at,
        agreeing_votes || ' of ' || field_votes
        || ' current field votes agree with the consensus' as details
    from miner_performance
    where
        field_votes >= {{ var('alert_agreement_min_votes') }}
        and agreement_ratio < {{ var('alert_agreement_warn_below') }}
),

duplicate_flood as (
    select
        'duplicate_flood' as kind,
        case
            when
                miner_performance.duplicate_file_share
                >= {{ var('alert_duplicate_file_share_error') }}
                then 'error'
            else 'warn'
        end as severity,
        miner_performance.miner_hotkey as subject,
        miner_performance.duplicate_file_share as figure,
        case
            when
                miner_performance.duplicate_file_share
                >= {{ var('alert_duplicate_file_share_error') }}
                then {{ var('alert_duplicate_file_share_error') }}
            else {{ var('alert_duplicate_file_share_warn') }}
        end as threshold,
        first_evidence.first_duplicate_at as first_seen_at,
        miner_performance.duplicate_files || ' of ' || miner_performance.files_loaded
        || ' loaded files are byte-identical to an earlier file ('
        || miner_performance.copied_files || ' first uploaded by another miner)' as details
    from miner_performance
    left join first_evidence on miner_performance.miner_hotkey = first_evidence.subject
    where
        miner_performance.duplicate_files >= {{ var('alert_duplicate_files_min') }}
        and miner_performance.duplicate_file_share
        >= {{ var('alert_duplicate_file_share_warn') }}
),

count_mismatch as (
    select
        'claimed_count_mismatch' as kind,
        case
            when
                miner_performance.count_mismatch_files
                >= {{ var('alert_count_mismatch_files_error') }}
                then 'error'
            else 'warn'
        end as severity,
        miner_performance.miner_hotkey as subject,
        miner_performance.count_mismatch_files::numeric as figure,
        case
            when
                miner_performance.count_mismatch_files
                >= {{ var('alert_count_mismatch_files_error') }}
                then {{ var('alert_count_mismatch_files_error') }}
            else {{ var('alert_count_mismatch_files_warn') }}
        end as threshold,
        first_evidence.first_mismatch_at as first_seen_at,
        miner_performance.count_mismatch_files
        || ' files whose name claims a record count other than the rows in the file'
            as details
    from miner_performance
    left join first_evidence on miner_performance.miner_hotkey = first_evidence.subject
    where
        miner_performance.count_mismatch_files >= {{ var('alert_count_mismatch_files_warn') }}
),

clock_skew as (
    select
        'clock_skew' as kind,
        case
            when
                abs(miner_performance.median_clock_skew_hours)
                > {{ var('alert_clock_skew_hours_error') }}
                then 'error'
            else 'warn'
        end as severity,
        miner_performance.miner_hotkey as subject,
        miner_performance.median_clock_skew_hours as figure,
        case
            when
                abs(miner_performance.median_clock_skew_hours)
                > {{ var('alert_clock_skew_hours_error') }}
                then {{ var('alert_clock_skew_hours_error') }}
            else {{ var('alert_clock_skew_hours_warn') }}
        end as threshold,
        first_evidence.first_skewed_at as first_seen_at,
        'file-name timestamps are a median ' || miner_performance.median_clock_skew_hours
        || ' h off the server time (worst ' || miner_performance.max_abs_clock_skew_hours
        || ' h)' as details
    from miner_performance
    left join first_evidence on miner_performance.miner_hotkey = first_evidence.subject
    where
        abs(miner_performance.median_clock_skew_hours) > {{ var('alert_clock_skew_hours_warn') }}
),

rejected_files as (
    select
        'rejected_files' as kind,
        case
            when rejected_files >= {{ var('alert_rejected_files_error') }} then 'error'
            else 'warn'
        end as severity,
        subject,
        rejected_files::numeric as figure,
        case
            when rejected_files >= {{ var('alert_rejected_files_error') }}
                then {{ var('alert_rejected_files_error') }}
            else {{ var('alert_rejected_files_warn') }}
        end as threshold,
        first_rejected_at as first_seen_at,
        rejected_files || ' files rejected by the loader, e.g. ' || a_reject_reason as details
    from first_evidence
    where rejected_files >= {{ var('alert_rejected_files_warn') }}
),

-- rows per day of server time, per miner and for the whole network
dated_loaded_files as (
    select
        row_count,
        coalesce(miner_hotkey, '(key without a hotkey)') as subject,
        (submitted_at at time zone 'UTC')::date as date_day
    from source_files
    where is_loaded
),

daily_volume as (
    select
        subject,
        date_day,
        sum(row_count) as rows_loaded
    from dated_loaded_files
    group by subject, date_day
    union all
    select
        'network' as subject,
        date_day,
        sum(row_count) as rows_loaded
    from dated_loaded_files
    group by date_day
),

volume_ranked as (
    select
        *,
        row_number() over (partition by subject order by date_day desc) as day_rank
    from daily_volume
),

volume_baseline as (
    select
        latest.subject,
        latest.date_day,
        latest.rows_loaded,
        count(history.date_day) as history_days,
        percentile_cont(0.5) within group (order by history.rows_loaded) as median_rows
    from volume_ranked as latest
    inner join volume_ranked as history
        on
            latest.subject = history.subject
            and history.day_rank between 2 and 8
    where latest.day_rank = 1
    group by latest.subject, latest.date_day, latest.rows_loaded
),

volume_spike as (
    select
        'volume_spike' as kind,
        case
            when
                rows_loaded >= {{ var('alert_volume_spike_factor_error') }} * median_rows
                then 'error'
            else 'warn'
        end as severity,
        subject,
        round((rows_loaded / nullif(median_rows, 0))::numeric, 2) as figure,
        case
            when
                rows_loaded >= {{ var('alert_volume_spike_factor_error') }} * median_rows
                then {{ var('alert_volume_spike_factor_error') }}
            else {{ var('alert_volume_spike_factor_warn') }}
        end as threshold,
        date_day::timestamptz as first_seen_at,
        rows_loaded || ' rows on ' || date_day || ' against a median of '
        || round(median_rows::numeric) || ' on its ' || history_days
        || ' previous active days' as details
    from volume_baseline
    where
        history_days >= {{ var('alert_volume_spike_min_history_days') }}
        and rows_loaded >= {{ var('alert_volume_spike_min_rows') }}
        and rows_loaded >= {{ var('alert_volume_spike_factor_warn') }} * median_rows
),

-- the same check as `dbt source freshness` on raw.source_files, at query time
latest_load as (
    select
        max(loaded_at) as last_loaded_at,
        extract(epoch from now() - max(loaded_at)) / 3600 as hours_since_load
    from source_files
),

stale_source as (
    select
        'stale_source' as kind,
        case
            when hours_since_load > {{ var('alert_stale_source_hours_error') }} then 'error'
            else 'warn'
        end as severity,
        'raw.source_files' as subject,
        round(hours_since_load::numeric, 2) as figure,
        case
            when hours_since_load > {{ var('alert_stale_source_hours_error') }}
                then {{ var('alert_stale_source_hours_error') }}
            else {{ var('alert_stale_source_hours_warn') }}
        end as threshold,
        last_loaded_at as first_seen_at,
        'no file loaded for ' || round(hours_since_load::numeric, 1) || ' h (last at '
        || last_loaded_at || ')' as details
    from latest_load
    where hours_since_load > {{ var('alert_stale_source_hours_warn') }}
),

-- the int_alert_* models (one row per subject with evidence), opened by the thresholds in
-- the alert_thresholds seed; 'above': opens at figure >= warn, error at >= error;
-- 'below': opens at figure < warn, error at figure < error
{%- set alert_models = [
    'int_alert_copy_group',
    'int_alert_coordinated_group',
    'int_alert_stale_reuploads',
] %}
alert_evidence as (
    {%- for alert_model in alert_models %}
    select * from {{ ref(alert_model) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

alert_thresholds as (
    select * from {{ ref('alert_thresholds') }}
),

thresholded as (
    select
        alert_evidence.alert_kind as kind,
        case
            when
                (
                    alert_thresholds.direction = 'above'
                    and alert_evidence.figure >= alert_thresholds.error_threshold
                )
                or (
                    alert_thresholds.direction = 'below'
                    and alert_evidence.figure < alert_thresholds.error_threshold
                )
                then 'error'
            else 'warn'
        end as severity,
        alert_evidence.subject,
        alert_evidence.figure,
        case
            when
                (
                    alert_thresholds.direction = 'above'
                    and alert_evidence.figure >= alert_thresholds.error_threshold
                )
                or (
                    alert_thresholds.direction = 'below'
                    and alert_evidence.figure < alert_thresholds.error_threshold
                )
                then alert_thresholds.error_threshold
            else alert_thresholds.warn_threshold
        end as threshold,
        alert_evidence.first_seen_at,
        alert_evidence.details
    from alert_evidence
    inner join alert_thresholds on alert_evidence.alert_kind = alert_thresholds.alert_kind
    where
        (
            alert_thresholds.direction = 'above'
            and alert_evidence.figure >= alert_thresholds.warn_threshold
        )
        or (
            alert_thresholds.direction = 'below'
            and alert_evidence.figure < alert_thresholds.warn_threshold
        )
),

alerts as (
    select * from thresholded
    union all
    select * from low_agreement
    union all
    select * from duplicate_flood
    union all
    select * from count_mismatch
    union all
    select * from clock_skew
    union all
    select * from rejected_files
    union all
    select * from volume_spike
    union all
    select * from stale_source
),

final as (
    select
        md5(kind || '|' || subject) as alert_id,
        kind::text as kind,
        severity::text as severity,
        subject::text as subject,
        figure::numeric as figure,
        threshold::numeric as threshold,
        first_seen_at::timestamptz as first_seen_at,
        details::text as details
    from alerts
)

select * from final
