{{
    config(
        materialized='incremental',
        incremental_strategy='changed_rows',
        unique_key='zpid',
        listing_slices=true,
        row_key=['zpid', 'miner_hotkey'],
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
listing_reports as (
    select * from {{ ref('int_listing_reports') }}
    {{- only_listings_to_build() }}
),

consensus_listings as (
    select * from {{ ref('listing_consensus') }}
    {{- only_listings_to_build() }}
),

consensus_by_listing as (
    {{ scored_consensus_by_listing('consensus_listings') }}
),

-- each report, and per scored field whether it holds its miner's current vote: no newer
-- report of that miner has the field, as in the consensus rule
reports_with_current_votes as (
    select
        {%- for field in listing_fields() if field.scored %}
        {{ canonical_text(field.name, field.data_type) }} as {{ field.name }},
        count({{ field.name }}) over newer_reports = 0 as {{ field.name }}_is_current,
        {%- endfor %}
        zpid,
        miner_hotkey
    from listing_reports
    where miner_hotkey is not null
    window newer_reports as ({{ newer_reports_of_the_miner() }})
),

-- each miner's current vote per listing and scored field (one row per miner and listing,
-- a column per field): of its reports with the field, only the latest is current
current_votes as (
    select
        {%- for field in listing_fields() if field.scored %}
        max({{ field.name }}) filter (where {{ field.name }}_is_current) as {{ field.name }},
        {%- endfor %}
        zpid,
        miner_hotkey
    from reports_with_current_votes
    group by zpid, miner_hotkey
),

compared as (
    select
        current_votes.zpid,
        current_votes.miner_hotkey,
        {{ scored_fields_compared('current_votes', 'consensus_by_listing') }}::bigint
            as field_votes,
        {{ scored_fields_agreeing('current_votes', 'consensus_by_listing') }}::bigint
            as agreeing_votes
    from current_votes
    inner join consensus_by_listing on current_votes.zpid = consensus_by_listing.zpid
),

final as (
    select * from compared
    where field_votes > 0
)

select * from final
