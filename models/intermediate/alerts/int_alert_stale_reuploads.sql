{{ config(materialized='view') }}

{#-
    Alert stale_reuploads: one row per hotkey that uploads again reports it already sent
    (the same zpid, scrape `datetime` and values, in a new file: the miners' uploader does
    this when its offset shifts). A re-upload is not a new observation and never votes;
    figure: the share of the hotkey's reports that are re-uploads.
-#}

with

report_origins as (
    select * from {{ ref('int_report_origins') }}
),

per_hotkey as (
    select
        miner_hotkey,
        count(*) as reports_count,
        count(*) filter (where report_kind = 'reupload') as reuploaded_reports,
        min(submitted_at) filter (where report_kind = 'reupload') as first_reuploaded_at,
        max(submitted_at - observed_at) filter (where report_kind = 'reupload') as oldest_gap
    from report_origins
    group by miner_hotkey
),

final as (
    select
        'stale_reuploads'::text as alert_kind,
        miner_hotkey::text as subject,
        round(reuploaded_reports::numeric / nullif(reports_count, 0), 6) as figure,
        first_reuploaded_at::timestamptz as first_seen_at,
        (
            reuploaded_reports || ' of ' || reports_count
            || ' reports re-upload an observation this hotkey already sent (the oldest '
            || date_trunc('minute', oldest_gap) || ' after its scrape)'
        )::text as details
    from per_hotkey
    where reuploaded_reports > 0
)

select * from final
