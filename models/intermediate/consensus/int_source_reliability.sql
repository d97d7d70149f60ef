{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        tags=['estimate'],
        pre_hook=["{{ delete_rows_before_replacing() }}", "{{ hash_joins_and_aggregates() }}"],
        post_hook="{{ record_estimate() }}",
        indexes=[{'columns': ['source_key', 'field_name'], 'unique': true}],
    )
}}

{#-
    One row per (source, field): how often the source's current votes agree with the
    values the method settles on, and the weight its votes get (see the docs page
    `consensus_method`). Reliability and consensus depend on each other, so they are
    estimated together over a fixed number of rounds (var consensus_rounds), one CTE per
    round (PostgreSQL allows no aggregate in a recursive CTE): round 1 weighs every source
    the same (the prior), each later round weighs by the accuracy the previous round
    measured. Accuracy counts only fields another source also voted on, and leaves out
    votes for superseded values (a source that saw an older state of the listing was not
    wrong) and votes of a source that itself saw the settled value before its current one
    (it re-scraped a change the others have not seen yet). The scrape `datetime` differs on every report and is not scored: it keeps the
    prior weight.

    Global and small (sources x fields), but estimated from every current vote: a
    network-wide estimate, re-estimated when the data has grown (macros/estimates.sql).
    When weights move, listing_consensus recomputes the listings whose voters' weights
    moved (macros/consensus_weights.sql).
-#}
with

scored_votes as (
    select * from {{ ref('int_consensus_votes') }}
    where field_name in {{ scored_field_names_sql() }}
),

votes_by_report as (
    select * from {{ ref('int_consensus_votes_by_report') }}
),

-- each source's key and name (macros/source_id_of.sql)
sources as (
    {{- source_names() }}
),

-- only disputed fields need the rounds: where every current vote is the same value, that
-- value wins in every round and no vote for it can be superseded (a trusted source that
-- replaced it would vote for another), so each of those votes is compared and agrees.
-- Each vote carries its field's voting sources and dispute (int_consensus_votes works them
-- out listing by listing), so no aggregate per (listing, field) and no join of every vote
-- to it is needed here. The rounds read these votes several times, so PostgreSQL copies
-- them once: only the columns the rounds read (the copy was 2.7 GB of temporary files
-- at 10M raw rows with every column).
disputed_votes as (
    select
        zpid,
        field_name,
        field_value,
        source_key,
        observed_at,
        earlier_values
    from scored_votes
    where is_disputed
),

-- a lone vote agrees only with itself: not compared. Counted per source on the stored
-- rows (one per report, a column set per field), then one row per field: through
-- int_consensus_votes, PostgreSQL expected a few hundred of the 7.9M settled votes at 1M
-- raw rows (it does not multiply a parallel scan's rows by what unnest() returns) and
-- sorted them all to group them, 8.5 s and 200 MB of temporary files against 1.2 s
settled_counts as (
    select
        {%- for field in listing_fields() if field.scored %}
        count(*) filter (
            where not {{ field.name }}_is_disputed and {{ field.name }}_voting_sources >= 2
        ) as {{ field.name }},
        {%- endfor %}
        source_key
    from votes_by_report
    group by source_key
),

settled_fields as (
    select
        source_key,
        unnest({{ listing_field_array("'%s'", scored_only=true) }}) collate "C" as field_name,
        unnest({{ listing_field_array('%s', scored_only=true) }}) as settled_votes
    from settled_counts
),

settled_agreement as (
    select
        source_key,
        field_name,
        settled_votes as compared_votes,
        settled_votes as agreeing_votes
    from settled_fields
    where settled_votes > 0
),

weights_0 as (
    select
        null::bigint as source_key,
        null::text as field_name,
        null::float8 as weight,
        null::boolean as is_trusted,
        null::bigint as compared_votes,
        null::bigint as agreeing_votes,
        null::float8 as accuracy
    where false
),
{% for round in range(1, var('consensus_rounds') + 1) %}
tally_{{ round }} as (
    {{ independent_weighted_latest('disputed_votes', 'weights_' ~ (round - 1)) }}
),

disputed_agreement_{{ round }} as (
    select
        disputed_votes.source_key,
        disputed_votes.field_name,
        count(*) as compared_votes,
        count(*) filter (where disputed_votes.field_value = winners.field_value)
            as agreeing_votes
    from disputed_votes
    inner join tally_{{ round }} as winners
        on
            disputed_votes.zpid = winners.zpid
            and disputed_votes.field_name = winners.field_name
            and winners.is_winner
    inner join tally_{{ round }} as voted
        on
            disputed_votes.zpid = voted.zpid
            and disputed_votes.field_name = voted.field_name
            and disputed_votes.field_value = voted.field_value
    where
        not voted.is_superseded
        -- a source that saw the settled value and then something else re-scraped a
        -- change the others have not seen (yet): not counted against it
        and not disputed_votes.earlier_values @> to_jsonb(winners.field_value)
    group by disputed_votes.source_key, disputed_votes.field_name
),

agreement_{{ round }} as (
    select
        source_key,
        field_name,
        sum(compared_votes) as compared_votes,
        sum(agreeing_votes) as agreeing_votes
    from (
        select * from disputed_agreement_{{ round }}
        union all
        select * from settled_agreement
    ) as both_kinds
    group by source_key, field_name
),

weights_{{ round }} as (
    select
        source_key,
        field_name,
        {{ accuracy_weight('accuracy') }} as weight,
        accuracy >= {{ var('consensus_trusted_accuracy') }} as is_trusted,
        compared_votes,
        agreeing_votes,
        accuracy
    from (
        select
            *,
            {{ smoothed_accuracy('agreeing_votes', 'compared_votes') }} as accuracy
        from agreement_{{ round }}
    ) as measured
),
{% endfor %}
final as (
    select
        weights.source_key,
        sources.source_id,
        weights.field_name,
        weights.compared_votes::bigint as compared_votes,
        weights.agreeing_votes::bigint as agreeing_votes,
        round(weights.accuracy::numeric, 6) as accuracy,
        -- rounded, so that one more agreeing vote rarely moves a weight (and with it the
        -- listings listing_consensus must recompute)
        round(weights.weight::numeric, 2) as weight,
        weights.is_trusted
    from weights_{{ var('consensus_rounds') }} as weights
    left join sources on weights.source_key = sources.source_key
)

select * from final
