{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='zpid',
        listing_slices=true,
        on_schema_change='fail',
        pre_hook="{{ delete_touched_listings() }}",
        indexes=[
            {'columns': ['zpid', 'field_name', 'changed_at'], 'unique': true},
            {'columns': ['changed_at']},
        ],
        post_hook="{{ record_incremental_watermark() }}",
    )
}}

{#-
    One row per change of a listing's price or status: where one listing_history interval
    follows another. Incremental per listing, like listing_history.
-#}

with
{% if is_incremental() %}
touched_listings as (
    {{ touched_zpids() }}
),
{% endif %}
listing_history as (
    select * from {{ ref('listing_history') }}
    {{- only_listings_to_build() }}
),

tracked_fields as (
    select
        *,
        lag(field_value) over (
            partition by zpid, field_name
            order by valid_from
        ) as old_value
    from listing_history
    where field_name in ('price', 'home_status')
),

changes as (
    select
        zpid,
        field_name,
        old_value,
        field_value as new_value,
        valid_from as changed_at,
        case
            when field_name = 'price'
                then field_value::bigint - old_value::bigint
        end as price_change,
        case
            when field_name = 'price'
                then round(100 * (field_value::numeric / nullif(old_value::numeric, 0) - 1), 2)
        end as price_change_pct,
        opening_miner_count as miner_count,
        opening_voter_count as voter_count
    from tracked_fields
    where old_value is not null
)

select * from changes
