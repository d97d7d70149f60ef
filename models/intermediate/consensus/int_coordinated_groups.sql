{{ config(materialized='table') }}

{#-
    One row per source that belongs to a coordinated group: sources that vote for the same
    disputed values far more often than independent sources would. A value is disputed
    when it lost without being superseded (a dissent), or when its field is contested
    (both sides). Two sources are linked when they share at least
    var consensus_coordinated_min_shared disputed values and, each way, at least
    var consensus_coordinated_min_share of the one's disputed votes on fields the other
    also voted on are the very same value:
    independent miners' errors rarely coincide, a group's pushed values always do.
    Groups are the connected components of the links, found by a fixed number of rounds
    of smallest-label propagation (one CTE per round).

    When a group outnumbers the honest miners, it wins and the honest side dissents:
    both sides of a contested split are then named, because the data alone cannot say
    which one lies (see the docs page consensus_method).
-#}

with

consensus as (
    select * from {{ ref('listing_consensus') }}
),

votes as (
    select * from {{ ref('int_consensus_votes') }}
),

disputed_values as (
    select zpid, field_name, field_value
    from consensus
    where
        field_name in {{ scored_field_names_sql() }}
        and independent_source_count > 0
        and not is_superseded
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

links as (
    select
        forward.source_a,
        forward.source_b,
        forward.shared_values
    from directed_pairs as forward
    inner join directed_pairs as backward
        on forward.source_a = backward.source_b and forward.source_b = backward.source_a
    where
        forward.source_a < forward.source_b
        and forward.shared_values >= {{ var('consensus_coordinated_min_shared') }}
        and forward.shared_values >= {{ var('consensus_coordinated_min_share') }} * forward.co_voted
        and backward.shared_values >= {{ var('consensus_coordinated_min_share') }} * backward.co_voted
),

edges as (
    select source_a as source_id, source_b as neighbour_id from links
    union all
    select source_b as source_id, source_a as neighbour_id from links
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
        select source_a as source_id, shared_values from links
        union all
        select source_b as source_id, shared_values from links
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
