{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        tags=['reporting'],
        pre_hook=["{{ delete_rows_before_replacing() }}", "{{ nested_loops_allowed() }}"],
        post_hook="{{ record_estimate() }}",
    )
}}

{#-
    Data freshness per day (metric_data_freshness_score): as of each day's last report,
    how recently each listing seen so far was reported. One row per day with a listing
    seen on or before it. The joins to the days are ranges, which only a nested loop can
    do (nested_loops_allowed); each listing-day meets only the days it covers, so nothing
    is grouped per (day, listing) and the work stays linear in the reports.
-#}
with

network_days as (
    select * from {{ ref('int_network_days') }}
),

-- read in place (twice below) rather than copied whole
listing_reports as not materialized (
    select * from {{ ref('int_listing_reports') }}
),

listing_day_last as (
    select
        zpid,
        (submitted_at at time zone 'UTC')::date as date_day,
        max(submitted_at) as last_report_at
    from listing_reports
    group by zpid, (submitted_at at time zone 'UTC')::date
),

-- a listing's last report of a day is its latest on every network day from that day up
-- to (not including) the next day it was reported
listing_day_spans as (
    select
        zpid,
        date_day,
        last_report_at,
        lead(date_day) over (partition by zpid order by date_day) as next_reported_day
    from listing_day_last
),

-- from the reports, not from listing_day_last, which would then be copied
reports_per_day as (
    select
        (submitted_at at time zone 'UTC')::date as date_day,
        max(submitted_at) as last_report_at
    from listing_reports
    group by (submitted_at at time zone 'UTC')::date
),

as_of as (
    select
        network_days.date_day,
        max(reports_per_day.last_report_at) as as_of_at
    from network_days
    inner join reports_per_day on network_days.date_day >= reports_per_day.date_day
    group by network_days.date_day
),

-- one row per (day, listing seen on or before it): each listing-day span meets the
-- network days it covers, so no listing is grouped over its days
listing_last_as_of as (
    select
        network_days.date_day,
        listing_day_spans.zpid,
        listing_day_spans.last_report_at as last_updated_at
    from network_days
    inner join listing_day_spans
        on
            network_days.date_day >= listing_day_spans.date_day
            and network_days.date_day
            < coalesce(listing_day_spans.next_reported_day, 'infinity')
),

final as (
    select
        listing_last_as_of.date_day,
        count(*) as listings_seen_to_date,
        round(avg(greatest(
            0,
            1 - extract(epoch from as_of.as_of_at - listing_last_as_of.last_updated_at)
            / 3600 / {{ var('quality_freshness_horizon_hours') }}
        )), 6) as data_freshness_score
    from listing_last_as_of
    inner join as_of on listing_last_as_of.date_day = as_of.date_day
    group by listing_last_as_of.date_day
)

select * from final
