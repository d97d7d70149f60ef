{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        tags=['reporting'],
        pre_hook="{{ delete_rows_before_replacing() }}",
        post_hook="{{ record_estimate() }}",
    )
}}

{#-
    Data freshness per day (metric_data_freshness_score): as of each day's last report,
    how recently each listing seen so far was reported. One row per day with a listing
    seen on or before it.
-#}
with

network_days as (
    select * from {{ ref('int_network_days') }}
),

listing_reports as (
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

as_of as (
    select
        network_days.date_day,
        max(listing_day_last.last_report_at) as as_of_at
    from network_days
    inner join listing_day_last on network_days.date_day >= listing_day_last.date_day
    group by network_days.date_day
),

listing_last_as_of as (
    select
        network_days.date_day,
        listing_day_last.zpid,
        max(listing_day_last.last_report_at) as last_updated_at
    from network_days
    inner join listing_day_last on network_days.date_day >= listing_day_last.date_day
    group by network_days.date_day, listing_day_last.zpid
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
