{#- Evidence for `clock_skew`: every miner's median clock skew (hours) as the figure; the
    first evidence is its first file skewed at least the kind's warn threshold. -#}

with

checked_files as (
    select * from {{ ref('int_source_files_checked') }}
),

miners as (
    select * from {{ ref('int_miners_aggregated') }}
),

thresholds as (
    select * from {{ ref('alert_thresholds') }}
    where alert_kind = 'clock_skew'
),

first_skewed as (
    select
        checked_files.miner_hotkey,
        min(checked_files.submitted_at) as first_skewed_at
    from checked_files
    cross join thresholds
    where abs(checked_files.clock_skew_hours) >= thresholds.warn_threshold
    group by checked_files.miner_hotkey
),

final as (
    select
        'clock_skew'::text as alert_kind,
        miners.miner_hotkey::text as subject,
        round(miners.median_clock_skew_hours::numeric, 3) as figure,
        first_skewed.first_skewed_at::timestamptz as first_seen_at,
        (
            'file-name timestamps are a median '
            || round(miners.median_clock_skew_hours::numeric, 3)
            || ' h off the server time (worst '
            || round(miners.max_abs_clock_skew_hours::numeric, 3) || ' h)'
        )::text as details
    from miners
    left join first_skewed on miners.miner_hotkey = first_skewed.miner_hotkey
    where miners.median_clock_skew_hours is not null
)

select * from final
