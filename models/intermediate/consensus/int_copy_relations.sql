{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        tags=['estimate'],
        pre_hook="{{ delete_rows_before_replacing() }}",
        post_hook="{{ record_estimate() }}",
    )
}}

{#-
    One row per (hotkey, origin hotkey) where the hotkey uploaded reports another hotkey
    had uploaded first (the same zpid, scrape `datetime` and data_hash: a copy, see
    int_report_origins), with how many, and the hotkey's own reports in all.
-#}
with

-- read in place by both its readers rather than copied
report_origins as not materialized (
    select * from {{ ref('int_report_origins') }}
),

per_hotkey as (
    select
        miner_hotkey,
        count(*) as reports_count
    from report_origins
    group by miner_hotkey
),

copies as (
    select
        miner_hotkey,
        origin_hotkey,
        count(*) as copied_reports,
        min(submitted_at) as first_copied_at
    from report_origins
    where report_kind = 'copy'
    group by miner_hotkey, origin_hotkey
),

final as (
    select
        copies.miner_hotkey,
        copies.origin_hotkey,
        copies.copied_reports::bigint as copied_reports,
        per_hotkey.reports_count::bigint as reports_count,
        copies.first_copied_at
    from copies
    inner join per_hotkey on copies.miner_hotkey = per_hotkey.miner_hotkey
)

select * from final
