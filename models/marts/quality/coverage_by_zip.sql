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
    One row per zip code that has listings or was asked for (target seed or job id): what
    the network delivered there, against what it was asked for.
-#}
with

-- read in place, not copied (attesting_miners_by(), macros/coverage.sql)
listings as not materialized (
    select * from {{ ref('unified_listings') }}
),

attestations as (
    select * from {{ ref('miner_attestations') }}
),

target_zip_codes as (
    select * from {{ ref('int_target_zip_codes_unioned') }}
),

zip_listings as (
    select
        zip_code,
        mode() within group (order by state) as state,
        count(*) as listings_count,
        avg(consensus_score) as mean_consensus_score,
        max(last_updated_at) as last_updated_at
    from listings
    where zip_code is not null
    group by zip_code
),

zip_miners as (
    {{ attesting_miners_by('zip_code') }}
),

final as (
    select
        coalesce(zip_listings.zip_code, target_zip_codes.zip_code) as zip_code,
        coalesce(zip_listings.state, target_zip_codes.zip_state) as state,
        coalesce(zip_listings.listings_count, 0)::integer as listings_count,
        coalesce(zip_miners.miners_count, 0)::integer as miners_count,
        round(zip_listings.mean_consensus_score, 6) as mean_consensus_score,
        zip_listings.last_updated_at,
        coalesce(target_zip_codes.is_target_zip, false) as is_target_zip,
        coalesce(target_zip_codes.is_requested_by_job, false) as is_requested_by_job,
        coalesce(target_zip_codes.requested_job_count, 0) as requested_job_count,
        case
            when zip_listings.zip_code is null then 'gap'
            when target_zip_codes.zip_code is null then 'untargeted'
            else 'covered'
        end as coverage_status
    from zip_listings
    full outer join target_zip_codes on zip_listings.zip_code = target_zip_codes.zip_code
    left join zip_miners on zip_listings.zip_code = zip_miners.zip_code
)

select * from final
