{#-
    One row per day (UTC date of server time) from the first file to the last: the
    network's four quality metrics, with each day's volume beside them. Definitions in
    the doc blocks of _quality__docs.md (metric_*).
-#}

with

source_files as (
    select * from {{ ref('stg_raw__source_files') }}
),

listing_reports as (
    select * from {{ ref('int_listing_reports') }}
),

attestations as (
    select * from {{ ref('miner_attestations') }}
),

target_zip_codes as (
    select * from {{ ref('int_target_zip_codes_unioned') }}
    where is_target_zip or is_requested_by_job
),

bounds as (
    select
        min((submitted_at at time zone 'UTC')::date) as first_day,
        max((submitted_at at time zone 'UTC')::date) as last_day
    from source_files
),

calendar as (
    select series.day_start::date as date_day
    from bounds
    cross join lateral generate_series(
        bounds.first_day::timestamp, bounds.last_day::timestamp, interval '1 day'
    ) as series (day_start)
),

dated_files as (
    select
        *,
        (submitted_at at time zone 'UTC')::date as date_day
    from source_files
),

daily_files as (
    select
        date_day,
        count(*) filter (where is_loaded) as files_loaded,
        count(*) filter (where not is_loaded) as files_rejected,
        coalesce(sum(row_count) filter (where is_loaded), 0) as rows_loaded
    from dated_files
    group by date_day
),

dated_reports as (
    select
        *,
        (submitted_at at time zone 'UTC')::date as date_day
    from listing_reports
),

-- metric 3: the share of the listing fields the day's reports carry a value for
daily_reports as (
    select
        date_day,
        count(*) as reports_count,
        count(distinct miner_hotkey) as active_miners,
        avg((
            {%- for field in listing_fields() %}
            ({{ field.name }} is not null)::integer{{ ' +' if not loop.last }}
            {%- endfor %}
        )::numeric / {{ listing_fields() | length }}) as field_completeness
    from dated_reports
    group by date_day
),

-- metric 1: the mean validation_score of the day's attestations
dated_attestations as (
    select
        validation_score,
        (submission_timestamp at time zone 'UTC')::date as date_day
    from attestations
),

daily_agreement as (
    select
        date_day,
        avg(validation_score) as miner_agreement_ratio
    from dated_attestations
    group by date_day
),

-- metric 2: as of each day's last report, how recently each listing seen so far was
-- reported
listing_day_last as (
    select
        zpid,
        date_day,
        max(submitted_at) as last_report_at
    from dated_reports
    group by zpid, date_day
),

as_of as (
    select
        calendar.date_day,
        max(listing_day_last.last_report_at) as as_of_at
    from calendar
    inner join listing_day_last on calendar.date_day >= listing_day_last.date_day
    group by calendar.date_day
),

listing_last_as_of as (
    select
        calendar.date_day,
        listing_day_last.zpid,
        max(listing_day_last.last_report_at) as last_updated_at
    from calendar
    inner join listing_day_last on calendar.date_day >= listing_day_last.date_day
    group by calendar.date_day, listing_day_last.zpid
),

daily_freshness as (
    select
        listing_last_as_of.date_day,
        count(*) as listings_seen_to_date,
        avg(greatest(
            0,
            1 - extract(epoch from as_of.as_of_at - listing_last_as_of.last_updated_at)
            / 3600 / {{ var('quality_freshness_horizon_hours') }}
        )) as data_freshness_score
    from listing_last_as_of
    inner join as_of on listing_last_as_of.date_day = as_of.date_day
    group by listing_last_as_of.date_day
),

-- metric 4: the share of asked-for zip codes with a report in the trailing window
zip_days as (
    select distinct
        dated_reports.date_day,
        dated_reports.zip_code
    from dated_reports
    inner join target_zip_codes on dated_reports.zip_code = target_zip_codes.zip_code
),

daily_coverage as (
    select
        calendar.date_day,
        count(distinct zip_days.zip_code) as target_zip_codes_covered
    from calendar
    inner join zip_days
        on
            calendar.date_day >= zip_days.date_day
            and calendar.date_day
            < zip_days.date_day + {{ var('quality_coverage_window_days') }}
    group by calendar.date_day
),

targets as (
    select count(*) as target_zip_codes_count
    from target_zip_codes
),

final as (
    select
        calendar.date_day,
        coalesce(daily_files.files_loaded, 0)::integer as files_loaded,
        coalesce(daily_files.files_rejected, 0)::integer as files_rejected,
        coalesce(daily_files.rows_loaded, 0)::bigint as rows_loaded,
        coalesce(daily_reports.reports_count, 0)::bigint as reports_count,
        coalesce(daily_reports.active_miners, 0)::integer as active_miners,
        coalesce(daily_freshness.listings_seen_to_date, 0)::bigint as listings_seen_to_date,
        round(daily_agreement.miner_agreement_ratio, 6) as miner_agreement_ratio,
        round(daily_freshness.data_freshness_score::numeric, 6) as data_freshness_score,
        round(daily_reports.field_completeness, 6) as field_completeness,
        round(
            coalesce(daily_coverage.target_zip_codes_covered, 0)::numeric
            / nullif(targets.target_zip_codes_count, 0),
            6
        ) as geographic_coverage
    from calendar
    cross join targets
    left join daily_files on calendar.date_day = daily_files.date_day
    left join daily_reports on calendar.date_day = daily_reports.date_day
    left join daily_agreement on calendar.date_day = daily_agreement.date_day
    left join daily_freshness on calendar.date_day = daily_freshness.date_day
    left join daily_coverage on calendar.date_day = daily_coverage.date_day
)

select * from final
