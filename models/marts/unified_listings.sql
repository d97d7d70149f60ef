{{ config(materialized='view') }}

{#-
    One row per listing (zpid): int_unified_listings (stored, indexed, incremental) with
    each listing's data_freshness_hours: hours from its last report to the newest report
    of any listing. Computed when read, so that a new report does not rewrite every
    listing's row. The newest report is a scalar subquery (computed once per query, from
    the last_updated_at index) and int_unified_listings is read once, so a filter or an
    order on a stored column still uses that table's indexes.
-#}

{%- set newest_report = (
    '(select max(newest.last_updated_at) from '
    ~ ref('int_unified_listings') ~ ' as newest)'
) %}

with

listings as (
    select * from {{ ref('int_unified_listings') }}
),

final as (
    select
        listings.*,
        {{ freshness_hours(newest_report, 'listings.last_updated_at') }} as data_freshness_hours
    from listings
)

select * from final
