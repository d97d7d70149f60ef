{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        tags=['estimate'],
        pre_hook=["{{ delete_rows_before_replacing() }}", "{{ hash_joins_and_aggregates() }}"],
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

votes as (
    select * from {{ ref('int_consensus_votes') }}
),

report_origins as (
    select * from {{ ref('int_report_origins') }}
),

-- each source's key and name (macros/source_id_of.sql): the votes and the origins hold
-- the key
sources as (
    {{- source_names() }}
),

-- What is joined and counted below is small: the votes on fields that hold a disputed
-- value, and the listings of the sources that pass the vote tests (none on the
-- simulator's 1M-row network; at 10M rows 14 honest sources in 77 pairs, which the
-- listing test then turns down). Joining every vote to every other vote on its field and
-- pairing every two sources on every listing wrote more than 8 GB of temporary files at
-- 10M raw rows and stopped the build. The sources are counted by their keys (8 bytes, a
-- hotkey is 48 characters) and named once linked; the joins and groupings are hashed,
-- not sorted (hash_joins_and_aggregates(), macros/planner_settings.sql).

-- pushed against what was there first: of the live values of a scored field (a current
-- vote, not superseded by a trusted re-scrape), a later value that lost, or that won a
-- contested field (the value first reported is never a pushed one). The window reads
-- listing_consensus once in zpid order, by its index, and sorts each listing's rows by
-- field (an incremental sort, in memory), not the whole table.
disputed_values as (
    select
        zpid,
        field_name,
        field_value
    from (
        select
            zpid,
            field_name,
            field_value,
            first_reported_at,
            is_consensus,
            is_contested,
            min(first_reported_at) over (partition by zpid, field_name)
                as field_first_reported_at
        from consensus
        where
            field_name in {{ scored_field_names_sql() }}
            and independent_source_count > 0
            and not is_superseded
    ) as live_values
    where
        first_reported_at > field_first_reported_at
        and (is_contested or not is_consensus)
),

-- the fields that hold a disputed value, with those values
disputed_fields as (
    select
        zpid,
        field_name,
        array_agg(field_value) as disputed_values
    from disputed_values
    group by zpid, field_name
),

-- the current votes on those fields (their voters disagree: int_consensus_votes'
-- is_disputed), each marked whether it is for a disputed value. The votes are read once;
-- what is kept holds every vote the pair tests below compare.
pushed_field_votes as (
    select
        votes.zpid,
        votes.field_name,
        votes.field_value,
        votes.source_key,
        votes.field_value = any(disputed_fields.disputed_values) as is_disputed_vote
    from votes
    inner join disputed_fields
        on
            votes.zpid = disputed_fields.zpid
            and votes.field_name = disputed_fields.field_name
    where
        votes.is_disputed
        and votes.field_name in {{ scored_field_names_sql() }}
),

disputed_votes as (
    select
        zpid,
        field_name,
        field_value,
        source_key
    from pushed_field_votes
    where is_disputed_vote
),

source_disputes as (
    select
        source_key,
        count(*) as disputed_votes
    from disputed_votes
    group by source_key
),

-- for each ordered pair (a, b): of a's disputed votes on fields b also voted on, how many
-- b voted for the very same value
directed_pairs as (
    select
        disputed_votes.source_key as source_a,
        pushed_field_votes.source_key as source_b,
        count(*) as co_voted,
        count(*) filter (
            where pushed_field_votes.field_value = disputed_votes.field_value
        ) as shared_values
    from disputed_votes
    inner join pushed_field_votes
        on
            disputed_votes.zpid = pushed_field_votes.zpid
            and disputed_votes.field_name = pushed_field_votes.field_name
            and disputed_votes.source_key <> pushed_field_votes.source_key
    group by disputed_votes.source_key, pushed_field_votes.source_key
),

-- pairs that share enough disputed values, each way
voting_together as (
    select
        outbound.source_a,
        outbound.source_b,
        outbound.shared_values
    from directed_pairs as outbound
    inner join directed_pairs as inbound
        on outbound.source_a = inbound.source_b and outbound.source_b = inbound.source_a
    where
        outbound.source_a < outbound.source_b
        and outbound.shared_values >= {{ var('consensus_coordinated_min_shared') }}
        and outbound.shared_values
        >= {{ var('consensus_coordinated_min_share') }} * outbound.co_voted
        and inbound.shared_values
        >= {{ var('consensus_coordinated_min_share') }} * inbound.co_voted
),

-- per pair and field: disputed values both voted for
shared_per_field as (
    select
        first_votes.source_key as source_a,
        second_votes.source_key as source_b,
        first_votes.field_name,
        count(*) as shared_values
    from disputed_votes as first_votes
    inner join disputed_votes as second_votes
        on
            first_votes.zpid = second_votes.zpid
            and first_votes.field_name = second_votes.field_name
            and first_votes.field_value = second_votes.field_value
            and first_votes.source_key < second_votes.source_key
    group by first_votes.source_key, second_votes.source_key, first_votes.field_name
),

pushed_together as (
    select
        source_a,
        source_b,
        max(shared_values) as top_field_shared_values
    from shared_per_field
    group by source_a, source_b
),

-- the listings each source of such a pair reports (its original reports: what it votes
-- with)
paired_sources as (
    select source_a as source_key from voting_together
    union
    select source_b as source_key from voting_together
),

source_listings as (
    select distinct
        report_origins.zpid,
        report_origins.source_key
    from report_origins
    inner join paired_sources on report_origins.source_key = paired_sources.source_key
    where report_origins.report_kind = 'original'
),

-- per two of those sources: the listings both report, counted listing by listing (as many
-- rows as the listings have such pairs). Counted for every two of them and joined to the
-- pairs after: joining each pair to its first source's listings made a row per pair and
-- listing of that source (at 10M raw rows, where 77 pairs of honest sources pass the vote
-- tests, 23M rows and 1.2 GB of temporary files)
co_covered as (
    select
        first_listings.source_key as source_a,
        second_listings.source_key as source_b,
        count(*) as co_listings
    from source_listings as first_listings
    inner join source_listings as second_listings
        on
            first_listings.zpid = second_listings.zpid
            and first_listings.source_key < second_listings.source_key
    group by first_listings.source_key, second_listings.source_key
),

-- by the sources' names from here on (a handful of rows): a group is named by its
-- smallest source_id
links as (
    select
        first_sources.source_id as source_a,
        second_sources.source_id as source_b,
        voting_together.shared_values
    from voting_together
    inner join pushed_together
        on
            voting_together.source_a = pushed_together.source_a
            and voting_together.source_b = pushed_together.source_b
    inner join co_covered
        on
            voting_together.source_a = co_covered.source_a
            and voting_together.source_b = co_covered.source_b
    inner join sources as first_sources on voting_together.source_a = first_sources.source_key
    inner join sources as second_sources on voting_together.source_b = second_sources.source_key
    -- on some field, they pushed the same values on a real share of their common listings
    where
        pushed_together.top_field_shared_values
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
    inner join sources on labels_8.source_id = sources.source_id
    inner join source_disputes on sources.source_key = source_disputes.source_key
)

select * from final
