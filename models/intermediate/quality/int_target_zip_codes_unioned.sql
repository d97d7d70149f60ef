{{ config(materialized='view') }}

{#-
    What the network was asked to cover, one row per zip code: the operator's
    target_zip_codes seed, unioned with the zip codes named by job ids
    (`zillow_premium_zip_77494_sold`) of every file in the manifest, loaded or rejected.
-#}

with

target_zip_codes as (
    select * from {{ ref('target_zip_codes') }}
),

source_files as (
    select * from {{ ref('stg_raw__source_files') }}
),

state_zip_ranges as (
    select * from {{ ref('state_zip_ranges') }}
),

job_zip_codes as (
    select
        source_files.file_id,
        source_files.job_id,
        source_files.submitted_at,
        substring(source_files.job_id from '(?:^|_)zip_([0-9]{5})(?:_|$)') as zip_code
    from source_files
),

requested as (
    select
        zip_code,
        count(distinct job_id) as requested_job_count,
        count(*) as requested_file_count,
        min(submitted_at) as first_requested_at
    from job_zip_codes
    where zip_code is not null
    group by zip_code
),

unioned as (
    select
        coalesce(target_zip_codes.zip_code, requested.zip_code) as zip_code,
        target_zip_codes.state as target_state,
        target_zip_codes.city as target_city,
        target_zip_codes.zip_code is not null as is_target_zip,
        requested.zip_code is not null as is_requested_by_job,
        coalesce(requested.requested_job_count, 0)::integer as requested_job_count,
        coalesce(requested.requested_file_count, 0)::integer as requested_file_count,
        requested.first_requested_at
    from target_zip_codes
    full outer join requested on target_zip_codes.zip_code = requested.zip_code
),

zip_range_states as (
    select
        unioned.zip_code,
        min(state_zip_ranges.state_code) as state_code
    from unioned
    inner join state_zip_ranges
        on unioned.zip_code between state_zip_ranges.zip_from and state_zip_ranges.zip_to
    group by unioned.zip_code
),

-- the state a zip code belongs to: the seed's, else the one whose zip ranges hold it
final as (
    select
        unioned.*,
        coalesce(unioned.target_state, zip_range_states.state_code) as zip_state
    from unioned
    left join zip_range_states on unioned.zip_code = zip_range_states.zip_code
)

select * from final
