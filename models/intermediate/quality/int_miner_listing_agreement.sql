{{
    config(
        materialized='incremental',
        pre_hook="set local work_mem = '{{ var('heavy_model_work_mem') }}'",
        incremental_strategy='delete+insert',
        unique_key='zpid',
        on_schema_change='fail',
        indexes=[{'columns': ['zpid', 'miner_hotkey'], 'unique': true}],
        post_hook=[
            "{{ record_incremental_watermark() }}",
        ],
    )
}}

{#-
    One row per (zpid, miner_hotkey): of the scored fields the miner currently votes on
    for the listing (its latest report of each, as in the consensus rule), how many it
    votes on and how many of those votes are the consensus value. miner_performance sums
    it per miner. Incremental like listing_consensus: a run recomputes every miner's row
    of the listings its new reports touch (a new report can move the consensus, and so
    every miner's agreement on that listing); other listings' rows cannot change.
-#}

with
{% if is_incremental() %}
touched_listings as (
    {{ touched_zpids() }}
),
{% endif %}
field_reports as (
    select * from {{ ref('int_field_reports_unpivoted') }}
    {{- only_touched_listings() }}
),

consensus_listings as (
    select * from {{ ref('listing_consensus') }}
    {{- only_touched_listings() }}
),

scored_reports as (
    select * from field_reports
    where field_name in {{ scored_field_names_sql() }}
),

consensus_values as (
    select * from consensus_listings
    where is_consensus
),

-- each miner's current vote per listing and field: its latest report, as in the
-- consensus rule
current_votes as (
    select
        miner_hotkey,
        zpid,
        field_name,
        field_value,
        row_number() over (
            partition by miner_hotkey, zpid, field_name
            order by submitted_at desc, file_id desc, row_index desc
        ) as miner_recency_rank
    from scored_reports
),

final as (
    select
        current_votes.zpid,
        current_votes.miner_hotkey,
        count(*) as field_votes,
        count(*) filter (
            where current_votes.field_value = consensus_values.field_value
        ) as agreeing_votes
    from current_votes
    inner join consensus_values
        on
            current_votes.zpid = consensus_values.zpid
            and current_votes.field_name = consensus_values.field_name
    where
        current_votes.miner_recency_rank = 1
        and current_votes.miner_hotkey is not null
    group by current_votes.zpid, current_votes.miner_hotkey
)

select * from final
