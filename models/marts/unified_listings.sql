{{ config(materialized='view') }}

{#-
    One row per listing (zpid): int_unified_listings (stored, indexed, incremental) with
    each listing's data_freshness_hours: hours from its last report to the newest report
    of any listing. Computed when read, from the last_updated_at index, so that a new
    report does not rewrite every listing's row. Filters on the stored columns use the
    stored table's indexes.
-#}

with

listings as (
    select * from {{ ref('int_unified_listings') }}
),

network as (
    -- the newest report of any listing: "now" for the data, so freshness does not depend
    -- on when it is read
    select max(last_updated_at) as latest_submission_at
    from listings
),

final as (
    select
        listings.*,
        {{ freshness_hours('network.latest_submission_at', 'listings.last_updated_at') }}
            as data_freshness_hours
    from listings
    cross join network
)

select * from final
