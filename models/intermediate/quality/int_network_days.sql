{{ config(materialized='view') }}

{#- One row per UTC day of server time from the first file's day to the last file's, days
    without files included: the calendar of the daily quality metrics. -#}

with

checked_files as (
    select * from {{ ref('int_source_files_checked') }}
),

bounds as (
    select
        min(submitted_on) as first_day,
        max(submitted_on) as last_day
    from checked_files
),

final as (
    select series.day_start::date as date_day
    from bounds
    cross join lateral generate_series(
        bounds.first_day::timestamp, bounds.last_day::timestamp, interval '1 day'
    ) as series (day_start)
)

select * from final
