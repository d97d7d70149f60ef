{#-
    THE project's consensus method: "independent, reliability-weighted latest observations"
    (the docs page `consensus_method`, models/intermediate/consensus/_consensus__docs.md,
    says why). This macro is its vote: given each source's current vote and each source's
    weight, it tallies every value of every (listing, field).

    votes:   one row per (zpid, field_name, source_key): the source's latest original
             observation of the field (int_consensus_votes): field_value, observed_at,
             earlier_values (text[]: other values this same source observed before).
    weights: one row per (source_key, field_name): weight (log-odds of the source's
             accuracy on the field) and is_trusted (accuracy at or above
             var consensus_trusted_accuracy). A source without a row gets the prior weight.

    Rules, in order:
      1. superseded: a value that a trusted source reported earlier and has since replaced
         by another value (its own re-scrape saw the listing change) no longer competes,
         unless some source observed it again after that replacement (A -> B -> A).
      2. support: the sum of the weights of the sources whose current vote it is.
      3. rank: not superseded first, then support, then independent sources, then the
         latest observation, then the smallest value text (byte order).
      4. posterior (Accu): exp(support) / (sum over live values of exp(support) + the
         unseen false values, var consensus_false_values, each exp(0)).
      5. contested: the best rival (rank 2, not superseded) is backed by at least
         var consensus_contest_min_sources independent sources: whoever has more weight,
         two or more independent sources saw something else. Confidence is then capped at
         var consensus_contested_max_confidence.
-#}
{% macro independent_weighted_latest(votes, weights) %}
    with

    weighted_votes as (
        select
            votes.zpid,
            votes.field_name,
            votes.field_value,
            votes.source_key,
            votes.observed_at,
            votes.earlier_values,
            coalesce(weights.weight, {{ consensus_prior_weight() }}) as weight,
            coalesce(weights.is_trusted, false) as is_trusted
        from {{ votes }} as votes
        left join {{ weights }} as weights
            on
                votes.source_key = weights.source_key
                and votes.field_name = weights.field_name
    ),

    -- the few votes with earlier values (one in fourteen), picked out before the weights
    -- are joined: from a view of the votes (int_consensus_votes), PostgreSQL joined every
    -- report to the trusted sources' weights first and unpivoted each pair, 50 times the
    -- time. Read from the votes, not from weighted_votes: a CTE read twice is copied whole.
    votes_with_earlier_values as materialized (
        select
            zpid,
            field_name,
            source_key,
            observed_at,
            earlier_values
        from {{ votes }}
        where earlier_values != '[]'::jsonb
    ),

    -- values that a trusted source saw replaced by its own later observation, and when
    superseded as (
        select
            votes.zpid,
            votes.field_name,
            earlier.field_value,
            max(votes.observed_at) as superseded_at
        from votes_with_earlier_values as votes
        inner join {{ weights }} as weights
            on
                votes.source_key = weights.source_key
                and votes.field_name = weights.field_name
        cross join lateral jsonb_array_elements_text(votes.earlier_values) as earlier (field_value)
        where weights.is_trusted
        group by votes.zpid, votes.field_name, earlier.field_value
    ),

    value_support as (
        select
            zpid,
            field_name,
            field_value,
            count(*) as source_count,
            sum(weight) as support,
            min(observed_at) as first_observed_at,
            max(observed_at) as last_observed_at
        from weighted_votes
        group by zpid, field_name, field_value
    ),

    flagged as (
        select
            value_support.*,
            -- unless someone observed the value again after it was replaced (A -> B -> A)
            coalesce(superseded.superseded_at > value_support.last_observed_at, false)
                as is_superseded
        from value_support
        left join superseded
            on
                value_support.zpid = superseded.zpid
                and value_support.field_name = superseded.field_name
                and value_support.field_value = superseded.field_value
    ),

    ranked as (
        select
            *,
            row_number() over (
                partition by zpid, field_name
                order by
                    is_superseded asc,
                    support desc,
                    source_count desc,
                    last_observed_at desc,
                    field_value collate "C" asc
            ) as value_rank,
            max(support) filter (where not is_superseded)
                over (partition by zpid, field_name) as top_support,
            count(*) filter (where not is_superseded)
                over (partition by zpid, field_name) as live_values
        from flagged
    ),

    with_rival as (
        select
            *,
            coalesce(
                max(source_count) filter (where value_rank = 2 and not is_superseded)
                    over (partition by zpid, field_name),
                0
            ) as rival_source_count,
            case
                when not is_superseded then exp(greatest(support - top_support, -700))
                else 0
            end as relative_likelihood
        from ranked
    ),

    scored as (
        select
            *,
            relative_likelihood / (
                sum(relative_likelihood) over (partition by zpid, field_name)
                + greatest({{ var('consensus_false_values') }} + 1 - live_values, 0)
                * exp(-least(coalesce(top_support, 0), 700))
            ) as posterior,
            rival_source_count >= {{ var('consensus_contest_min_sources') }} as is_contested
        from with_rival
    )

    select
        zpid,
        field_name,
        field_value,
        source_count::integer as source_count,
        round(support::numeric, 6) as support,
        first_observed_at,
        last_observed_at,
        is_superseded,
        value_rank::integer as value_rank,
        value_rank = 1 as is_winner,
        is_contested,
        round(
            case
                when is_contested
                    then least(posterior, {{ var('consensus_contested_max_confidence') }})
                else posterior
            end::numeric,
            6
        ) as confidence_score
    from scored
{% endmacro %}

{#- A source's weight from its accuracy on a field: ln(n * A / (1 - A)), n the number of
    false values a field can take (var consensus_false_values), floored at 0. -#}
{% macro accuracy_weight(accuracy) -%}
    greatest(
        ln({{ var('consensus_false_values') }} * ({{ accuracy }}) / (1 - ({{ accuracy }}))), 0
    )
{%- endmacro %}

{#- A source's accuracy, smoothed by the prior (var consensus_prior_agree agreeing and
    consensus_prior_disagree disagreeing votes), so a new source is not trusted blindly. -#}
{% macro smoothed_accuracy(agreeing, compared) -%}
    (({{ agreeing }}) + {{ var('consensus_prior_agree') }})::float8
    / (({{ compared }}) + {{ var('consensus_prior_agree') }} + {{ var('consensus_prior_disagree') }})
{%- endmacro %}

{#- The weight of a source nothing is known about yet. -#}
{% macro consensus_prior_weight() -%}
    {{ accuracy_weight(smoothed_accuracy('0', '0')) }}
{%- endmacro %}
