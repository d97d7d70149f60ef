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
    One row per miner hotkey with a current vote: its current votes on scored fields
    (int_miner_listing_agreement) summed over every listing, and how many of them are the
    consensus value. int_miners_aggregated shows them beside the per-file facts. A sum
    over every listing of history, so it is refreshed on growth with the quality marts
    (tag `reporting`, macros/estimates.sql): one new file moves a miner's agreement over
    its whole history very little, and summing 5M listing rows took 1.2 s of every
    incremental run at 10M raw rows.
-#}

with

listing_agreement as (
    select * from {{ ref('int_miner_listing_agreement') }}
),

final as (
    select
        miner_hotkey,
        sum(field_votes)::bigint as field_votes,
        sum(agreeing_votes)::bigint as agreeing_votes
    from listing_agreement
    group by miner_hotkey
)

select * from final
