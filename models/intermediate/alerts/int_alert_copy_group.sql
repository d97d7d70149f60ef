{{ config(materialized='view') }}

{#-
    Alert copy_group: one row per hotkey that uploads reports another hotkey uploaded
    first (byte-identical files or re-packed rows: the same zpid, scrape `datetime` and
    values), naming the originals. figure: the share of the hotkey's reports that are
    copies. Copies never vote (int_report_origins), so this is about who, not what.
-#}

with

copy_relations as (
    select * from {{ ref('int_copy_relations') }}
),

per_copier as (
    select
        miner_hotkey,
        max(reports_count) as reports_count,
        sum(copied_reports) as copied_reports,
        min(first_copied_at) as first_copied_at,
        string_agg(
            origin_hotkey || ' (' || copied_reports || ')', ', '
            order by copied_reports desc, origin_hotkey asc
        ) as origins
    from copy_relations
    group by miner_hotkey
),

final as (
    select
        'copy_group'::text as alert_kind,
        miner_hotkey::text as subject,
        round(copied_reports::numeric / nullif(reports_count, 0), 6) as figure,
        first_copied_at::timestamptz as first_seen_at,
        (
            'copier ' || miner_hotkey || ': ' || copied_reports || ' of ' || reports_count
            || ' reports first uploaded by the original ' || origins
        )::text as details
    from per_copier
    where copied_reports >= {{ var('consensus_copy_min_reports') }}
)

select * from final
