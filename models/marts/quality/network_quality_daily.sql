{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        tags=['reporting'],
        pre_hook="{{ delete_rows_before_replacing() }}",
        post_hook="{{ record_estimate() }}",
    )
}}

{#-
    One row per day (UTC date of server time) from the first file to the last: the
    network's four quality metrics, with each day's volume beside them. Freshness and
    coverage come computed per day from int_listing_freshness_daily and
    int_zip_coverage_daily. Definitions in the doc blocks of _quality__docs.md (metric_*).
-#}
with

network_days as (
    select * from {{ ref('int_network_days') }}
),

checked_files as (
    select * from {{ ref('int_source_files_checked') }}
),

listing_reports as (
    select * from {{ ref('int_listing_reports') }}
),

attestations as (
    select * from {{ ref('miner_attestations') }}
),

freshness as (
    select * from {{ ref('int_listing_freshness_daily') }}
),

coverage as (
    select * from {{ ref('int_zip_coverage_daily') }}
),

daily_files as (
    select
        submitted_on as date_day,
        count(*) filter (where is_loaded) as files_loaded,
        count(*) filter (where not is_loaded) as files_rejected,
        coalesce(sum(row_count) filter (where is_loaded), 0) as rows_loaded
    from checked_files
    group by submitted_on
),

-- metric 3: the share of the listing fields the day's reports carry a value for. Summed
-- per (day, miner) first, then per day: every step is a hash aggregate. A
-- count(distinct miner_hotkey) per day sorted every report, all its fields carried along
-- (0.3 GB of temporary files at 1M raw rows).
reports_per_day_and_miner as (
    select
        (submitted_at at time zone 'UTC')::date as date_day,
        miner_hotkey,
        count(*) as reports_count,
        sum((
            {%- for field in listing_fields() %}
            ({{ field.name }} is not null)::integer{{ ' +' if not loop.last }}
            {%- endfor %}
        )::numeric / {{ listing_fields() | length }}) as field_completeness_sum
    from listing_reports
    group by (submitted_at at time zone 'UTC')::date, miner_hotkey
),

daily_reports as (
    select
        date_day,
        sum(reports_count) as reports_count,
        count(*) as active_miners,
        sum(field_completeness_sum) / sum(reports_count) as field_completeness
    from reports_per_day_and_miner
    group by date_day
),

-- metric 1: the mean validation_score of the day's attestations
daily_agreement as (
    select
        (submission_timestamp at time zone 'UTC')::date as date_day,
        avg(validation_score) as miner_agreement_ratio
    from attestations
    group by (submission_timestamp at time zone 'UTC')::date
),

final as (
    select
        network_days.date_day,
        coalesce(daily_files.files_loaded, 0)::integer as files_loaded,
        coalesce(daily_files.files_rejected, 0)::integer as files_rejected,
        coalesce(daily_files.rows_loaded, 0)::bigint as rows_loaded,
        coalesce(daily_reports.reports_count, 0)::bigint as reports_count,
        coalesce(daily_reports.active_miners, 0)::integer as active_miners,
        coalesce(freshness.listings_seen_to_date, 0)::bigint as listings_seen_to_date,
        round(daily_agreement.miner_agreement_ratio, 6) as miner_agreement_ratio,
        freshness.data_freshness_score,
        round(daily_reports.field_completeness, 6) as field_completeness,
        coverage.geographic_coverage
    from network_days
    left join daily_files on network_days.date_day = daily_files.date_day
    left join daily_reports on network_days.date_day = daily_reports.date_day
    left join daily_agreement on network_days.date_day = daily_agreement.date_day
    left join freshness on network_days.date_day = freshness.date_day
    left join coverage on network_days.date_day = coverage.date_day
)

select * from final
