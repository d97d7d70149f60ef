{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        tags=['estimate'],
        pre_hook="{{ delete_rows_before_replacing() }}",
        post_hook="{{ record_estimate() }}",
    )
}}

{#-
    One row per source that belongs to a coordinated group: sources that vote for the same
    disputed values far more often than independent sources would. A value is disputed
    when it was pushed against the value first reported for the field (it came later,
    is not superseded by a trusted re-scrape) and it lost, or its field is contested.
    Two sources are linked when they share at least
    var consensus_coordinated_min_shared disputed values and, each way, at least
    var consensus_coordinated_min_share of the one's disputed votes on fields the other
    also voted on are the very same value, and on some field the values they pushed
    together cover at least var consensus_coordinated_min_listing_share of the listings
    both report: independent miners' errors rarely coincide, a group's pushed values
    always do. Groups are the connected components of the links,
    found by a fixed number of rounds of smallest-label propagation (one CTE per round).

    Why "pushed against the first value": when a group outnumbers the honest miners it
    wins and the honest side loses; both sides of a contested split look alike, except
    that the honest value was there first, seen by independent sources, and the group's
    value came on top of it. A group that reports first and is contradicted later is not
    found by this rule (the listing is still contested).
-#}
with

consensus as (
    select * from {{ ref('listing_consensus') }}
),

-- read where it is used: three readers would otherwise make PostgreSQL copy all 8.9M votes
-- of a 1M-row network (1.1 GB of temporary files)
votes as not materialized (
    select * from {{ ref('int_consensus_votes') }}
),

live_values as (
    select
        *,
        min(first_reported_at) over (partition by zpid, field_name) as field_first_reported_at
    from consensus
    where
        field_name in {{ scored_field_names_sql() }}
        and independent_source_count > 0
        and not is_superseded
),

-- pushed against what was there first: a later value that lost, or that won a contested
-- field (the value first reported is never a pushed one)
disputed_values as (
    select
        zpid,
        field_name,
        field_value
    from live_values
    where
        first_reported_at > field_first_reported_at
        and (is_contested or not is_consensus)
),

disputed_votes as (
    select
        votes.zpid,
        votes.field_name,
        votes.field_value,
        votes.source_id
    from votes
    inner join disputed_values
        on
            votes.zpid = disputed_values.zpid
            and votes.field_name = disputed_values.field_name
            and votes.field_value = disputed_values.field_value
),

source_disputes as (
    select
        source_id,
        count(*) as disputed_votes
    from disputed_votes
    group by source_id
),

-- for each ordered pair (a, b): of a's disputed votes on fields b also voted on, how many
-- b voted for the very same value
directed_pairs as (
    select
        disputed_votes.source_id as source_a,
        votes.source_id as source_b,
        count(*) as co_voted,
        count(*) filter (where votes.field_value = disputed_votes.field_value) as shared_values
    from disputed_votes
    inner join votes
        on
            disputed_votes.zpid = votes.zpid
            and disputed_votes.field_name = votes.field_name
            and disputed_votes.source_id <> votes.source_id
    group by disputed_votes.source_id, votes.source_id
),

-- listings both sources of a pair voted on (any field)
source_listings as (
    select distinct
        zpid,
        source_id
    from votes
),

co_covered as (
    select
        first_listings.source_id as source_a,
        second_listings.source_id as source_b,
        count(*) as co_listings
    from source_listings as first_listings
    inner join source_listings as second_listings
        on
            first_listings.zpid = second_listings.zpid
            and first_listings.source_id < second_listings.source_id
    group by first_listings.source_id, second_listings.source_id
),

-- per pair and field: disputed values both voted for
shared_per_field as (
    select
        first_votes.source_id as source_a,
        second_votes.source_id as source_b,
        first_votes.field_name,
        count(*) as shared_values
    from disputed_votes as first_votes
    inner join disputed_votes as second_votes
        on
            first_votes.zpid = second_votes.zpid
            and first_votes.field_name = second_votes.field_name
            and first_votes.field_value = second_votes.field_value
            and first_votes.source_id < second_votes.source_id
    group by first_votes.source_id, second_votes.source_id, first_votes.field_name
),

pushed_together as (
    select
        source_a,
        source_b,
        max(shared_values) as top_field_shared_values
    from shared_per_field
    group by source_a, source_b
),

links as (
    select
        outbound.source_a,
        outbound.source_b,
        outbound.shared_values
    from directed_pairs as outbound
    inner join directed_pairs as inbound
        on outbound.source_a = inbound.source_b and outbound.source_b = inbound.source_a
    inner join pushed_together
        on
            outbound.source_a = pushed_together.source_a
            and outbound.source_b = pushed_together.source_b
    inner join co_covered
        on
            outbound.source_a = co_covered.source_a
            and outbound.source_b = co_covered.source_b
    where
        outbound.source_a < outbound.source_b
        and outbound.shared_values >= {{ var('consensus_coordinated_min_shared') }}
        and outbound.shared_values
        >= {{ var('consensus_coordinated_min_share') }} * outbound.co_voted
        and inbound.shared_values
        >= {{ var('consensus_coordinated_min_share') }} * inbound.co_voted
        -- on some field, they pushed the same values on a real share of their common listings
        and pushed_together.top_field_shared_values
        >= {{ var('consensus_coordinated_min_listing_share') }} * co_covered.co_listings
),

edges as (
    select
        source_a as source_id,
        source_b as neighbour_id
    from links
    union all
    select
        source_b as source_id,
        source_a as neighbour_id
    from links
),

labels_0 as (
    select distinct
        source_id,
        source_id as group_id
    from edges
),
{% for step in range(1, 9) %}
labels_{{ step }} as (
    select
        labels.source_id,
        least(labels.group_id, min(neighbours.group_id)) as group_id
    from labels_{{ step - 1 }} as labels
    inner join edges on labels.source_id = edges.source_id
    inner join labels_{{ step - 1 }} as neighbours on edges.neighbour_id = neighbours.source_id
    group by labels.source_id, labels.group_id
),
{% endfor %}
shared_per_source as (
    select
        source_id,
        sum(shared_values) as shared_values
    from (
        select
            source_a as source_id,
            shared_values
        from links
        union all
        select
            source_b as source_id,
            shared_values
        from links
    ) as linked
    group by source_id
),

final as (
    select
        labels_8.source_id,
        'group:' || labels_8.group_id as coordinated_group_id,
        (count(*) over (partition by labels_8.group_id))::integer as group_size,
        shared_per_source.shared_values::bigint as shared_disputed_values,
        source_disputes.disputed_votes::bigint as disputed_votes
    from labels_8
    inner join shared_per_source on labels_8.source_id = shared_per_source.source_id
    inner join source_disputes on labels_8.source_id = source_disputes.source_id
)

select * from final
