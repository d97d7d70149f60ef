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
    Geographic coverage per day (metric_geographic_coverage): of the zip codes asked for
    (target seed or job id), those with a report in the trailing window of var
    quality_coverage_window_days days. One row per day of the network.
-#}
with

network_days as (
    select * from {{ ref('int_network_days') }}
),

listing_reports as (
    select * from {{ ref('int_listing_reports') }}
),

target_zip_codes as (
    select * from {{ ref('int_target_zip_codes_unioned') }}
    where is_target_zip or is_requested_by_job
),

zip_days as (
    select distinct
        listing_reports.zip_code,
        (listing_reports.submitted_at at time zone 'UTC')::date as date_day
    from listing_reports
    inner join target_zip_codes on listing_reports.zip_code = target_zip_codes.zip_code
),

covered as (
    select
        network_days.date_day,
        count(distinct zip_days.zip_code) as target_zip_codes_covered
    from network_days
    inner join zip_days
        on
            network_days.date_day >= zip_days.date_day
            and network_days.date_day
            < zip_days.date_day + {{ var('quality_coverage_window_days') }}
    group by network_days.date_day
),

targets as (
    select count(*) as target_zip_codes_count
    from target_zip_codes
),

final as (
    select
        network_days.date_day,
        coalesce(covered.target_zip_codes_covered, 0) as target_zip_codes_covered,
        targets.target_zip_codes_count,
        round(
            coalesce(covered.target_zip_codes_covered, 0)::numeric
            / nullif(targets.target_zip_codes_count, 0),
            6
        ) as geographic_coverage
    from network_days
    cross join targets
    left join covered on network_days.date_day = covered.date_day
)

select * from final
