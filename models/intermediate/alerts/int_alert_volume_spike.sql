{#- Evidence for `volume_spike`: for every miner and for the whole network (`network`), the
    rows of its latest active day (server time) over the median of its up to 7 previous
    active days, once it has var alert_volume_spike_min_history_days of them and the day
    has at least var alert_volume_spike_min_rows rows. -#}

with

loaded_files as (
    select * from {{ ref('int_source_files_checked') }}
    where is_loaded
),

daily_volume as (
    select
        subject,
        submitted_on,
        sum(row_count) as rows_loaded
    from loaded_files
    group by subject, submitted_on
    union all
    select
        'network' as subject,
        submitted_on,
        sum(row_count) as rows_loaded
    from loaded_files
    group by submitted_on
),

volume_ranked as (
    select
        *,
        row_number() over (partition by subject order by submitted_on desc) as day_rank
    from daily_volume
),

volume_baseline as (
    select
        latest.subject,
        latest.submitted_on,
        latest.rows_loaded,
        count(history.submitted_on) as history_days,
        percentile_cont(0.5) within group (order by history.rows_loaded) as median_rows
    from volume_ranked as latest
    inner join volume_ranked as history
        on
            latest.subject = history.subject
            and history.day_rank between 2 and 8
    where latest.day_rank = 1
    group by latest.subject, latest.submitted_on, latest.rows_loaded
),

final as (
    select
        'volume_spike'::text as alert_kind,
        subject::text as subject,
        round((rows_loaded / nullif(median_rows, 0))::numeric, 2) as figure,
        submitted_on::timestamptz as first_seen_at,
        (
            rows_loaded || ' rows on ' || submitted_on || ' against a median of '
            || round(median_rows::numeric) || ' on its ' || history_days
            || ' previous active days'
        )::text as details
    from volume_baseline
    where
        history_days >= {{ var('alert_volume_spike_min_history_days') }}
        and rows_loaded >= {{ var('alert_volume_spike_min_rows') }}
)

select * from final
