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
    One row per state that has listings or asked-for zip codes: listings, miners and
    agreement per state, and how many of the zip codes asked for there (each in its state:
    int_target_zip_codes_unioned.zip_state) have at least one listing.
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
    where zip_state is not null
),

state_listings as (
    select
        state,
        count(*) as listings_count,
        count(distinct zip_code) as zip_codes_count,
        avg(consensus_score) as mean_consensus_score,
        max(last_updated_at) as last_updated_at
    from listings
    where state is not null
    group by state
),

state_miners as (
    {{ attesting_miners_by('state') }}
),

listed_zip_codes as (
    select distinct zip_code
    from listings
),

state_targets as (
    select
        target_zip_codes.zip_state as state,
        count(*) as target_zip_codes_count,
        count(listed_zip_codes.zip_code) as target_zip_codes_covered
    from target_zip_codes
    left join listed_zip_codes on target_zip_codes.zip_code = listed_zip_codes.zip_code
    group by target_zip_codes.zip_state
),

final as (
    select
        coalesce(state_listings.state, state_targets.state) as state,
        coalesce(state_listings.listings_count, 0)::integer as listings_count,
        coalesce(state_miners.miners_count, 0)::integer as miners_count,
        coalesce(state_listings.zip_codes_count, 0)::integer as zip_codes_count,
        round(state_listings.mean_consensus_score, 6) as mean_consensus_score,
        state_listings.last_updated_at,
        coalesce(state_targets.target_zip_codes_count, 0)::integer as target_zip_codes_count,
        coalesce(state_targets.target_zip_codes_covered, 0)::integer
            as target_zip_codes_covered,
        round(
            state_targets.target_zip_codes_covered::numeric
            / nullif(state_targets.target_zip_codes_count, 0),
            6
        ) as target_coverage_ratio
    from state_listings
    full outer join state_targets on state_listings.state = state_targets.state
    left join state_miners on state_listings.state = state_miners.state
)

select * from final
