{{
    config(
        materialized='incremental',
        pre_hook="{{ record_consensus_moved_listings() }}",
        incremental_strategy='delete+insert',
        unique_key='zpid',
        listing_slices=true,
        on_schema_change='fail',
        indexes=[{'columns': ['zpid']}],
        post_hook=[
            "{{ record_incremental_watermark() }}",
            "{{ record_consensus_applied_weights() }}",
        ],
    )
}}

{#-
    One row per (zpid, field_name, field_value) ever reported: the project's consensus
    method (independent, reliability-weighted latest observations; docs: consensus_method)
    and, beside it, the seed's plain majority of latest reports, so the two can be
    compared. Incremental: a run recomputes the listings its new reports touch and the
    listings whose voters' weights moved (macros/consensus_weights.sql).

    Indexed on zpid alone: every reader reads whole listings (a slice, the touched
    listings, the API's one listing), and int_coordinated_groups sorts each listing's
    rows by field in memory. At 1M raw rows the index is 18 MB (B-tree deduplication
    stores a repeated zpid once with its row pointers) against 60 MB on (zpid,
    field_name), and builds in 1.0 s against 1.7 s.
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

-- read in place by the method's two passes (all votes; the few with earlier values)
-- rather than copied whole
votes as not materialized (
    select * from {{ ref('int_consensus_votes') }}
    {{- only_listings_to_build() }}
),

-- read in place by the method's two joins, not copied: a copy has no statistics, and
-- PostgreSQL, blind to how the few hundred weights spread over their keys, hashed each
-- slice's 1.8M votes to join them instead of hashing the weights (2.3 s against 1.3 s for
-- a slice's vote tallies at 1M raw rows)
source_weights as not materialized (
    select * from {{ ref('int_source_reliability') }}
),

plain_majority as (
    {{ majority_of_latest_reports('listing_reports') }}
),

method as (
    {{ independent_weighted_latest('votes', 'source_weights') }}
),

joined as (
    select
        plain_majority.zpid,
        plain_majority.field_name,
        plain_majority.field_value,
        plain_majority.miner_count,
        plain_majority.submission_count,
        plain_majority.first_reported_at,
        plain_majority.last_reported_at,
        plain_majority.confidence_score as plain_confidence_score,
        plain_majority.is_consensus as is_plain_majority,
        method.is_winner,
        method.confidence_score,
        method.source_count,
        method.support,
        method.is_superseded,
        bool_or(method.is_contested)
            over (partition by plain_majority.zpid, plain_majority.field_name)
            as field_is_contested,
        bool_or(method.zpid is not null)
            over (partition by plain_majority.zpid, plain_majority.field_name)
            as field_has_votes
    from plain_majority
    left join method
        on
            plain_majority.zpid = method.zpid
            and plain_majority.field_name = method.field_name
            and plain_majority.field_value = method.field_value
),

final as (
    select
        zpid,
        field_name,
        field_value,
        miner_count,
        submission_count,
        first_reported_at,
        last_reported_at,
        case
            when field_has_votes then coalesce(confidence_score, 0)
            else plain_confidence_score
        end as confidence_score,
        case
            when field_has_votes then coalesce(is_winner, false)
            else is_plain_majority
        end as is_consensus,
        coalesce(source_count, 0) as independent_source_count,
        coalesce(support, 0) as weight,
        coalesce(field_is_contested, false) as is_contested,
        coalesce(is_superseded, false) as is_superseded,
        plain_confidence_score,
        is_plain_majority
    from joined
)

select * from final
