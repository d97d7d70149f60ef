{#-
    Keeping listing_consensus exact on incremental runs although source weights are global.

    A listing's outcome depends on its own votes and on the weights of the sources that
    vote on it. A run recomputes (a) the listings new reports touch (touched_zpids()) and
    (b) the listings with a vote from a source whose weight or trust on that field moved
    since the weights listing_consensus last applied. intermediate.consensus_applied_weights
    holds those applied weights (replaced by listing_consensus's post-hook, inside its
    transaction); intermediate.consensus_moved_listings records (b) with the run's start
    time, so the marts built on listing_consensus recompute the same listings
    (touched_zpids() reads it). Every other listing has the same votes and the same weights
    as when it was last computed, so its rows cannot differ from a full refresh.
-#}

{#- consensus_applied_weights was keyed by source_id (text) before the sources had keys
    (source_key, macros/source_id_of.sql): such a table is dropped, so the next run finds
    no weights applied and recomputes every listing that has votes. -#}
{% macro create_consensus_weights_tables() %}
    {%- set schema = generate_schema_name('intermediate', none) %}
    create schema if not exists {{ schema }};
    do $$
    begin
        if exists (
            select from information_schema.columns
            where
                table_schema = '{{ schema }}'
                and table_name = 'consensus_applied_weights'
                and column_name = 'source_id'
        ) then
            drop table {{ schema }}.consensus_applied_weights;
        end if;
    end
    $$;
    create table if not exists {{ schema }}.consensus_applied_weights (
        source_key bigint not null,
        field_name text collate "C" not null,
        weight numeric,
        is_trusted boolean,
        primary key (source_key, field_name)
    );
    create table if not exists {{ schema }}.consensus_moved_listings (
        zpid text collate "C" not null,
        moved_at timestamptz not null,
        primary key (zpid, moved_at)
    );
{% endmacro %}

{#- Pre-hook of listing_consensus: record the listings whose voters' weights moved: the
    votes of the moved (source, field) pairs, found in one scan of the votes (a hash join
    with the pairs, 1.6 s at 1M raw rows). When no weight moved (every run between
    re-estimations) the one-time test `exists (select from moved)` skips the scan, so the
    votes need no (source_key, field_name) index, which every incremental run paid for on
    insert.
    A full build recomputes every listing, so it records every listing, read from the
    reports' zpid index: looking up the votes of every source (all of them "moved" from no
    applied weights) took 24.5 s of a 1M-row full build. -#}
{% macro record_consensus_moved_listings() %}
    insert into {{ generate_schema_name('intermediate', none) }}.consensus_moved_listings (zpid, moved_at)
    {%- if not is_incremental() %}
    select distinct reports.zpid, '{{ run_started_at }}'::timestamptz
    from {{ ref('int_listing_reports') }} as reports
    {%- else %}
    with moved as (
        select
            coalesce(current_weights.source_key, applied.source_key) as source_key,
            coalesce(current_weights.field_name, applied.field_name) as field_name
        from {{ ref('int_source_reliability') }} as current_weights
        full outer join {{ generate_schema_name('intermediate', none) }}.consensus_applied_weights as applied
            on
                current_weights.source_key = applied.source_key
                and current_weights.field_name = applied.field_name
        where
            current_weights.weight is distinct from applied.weight
            or current_weights.is_trusted is distinct from applied.is_trusted
    )
    select distinct votes.zpid, '{{ run_started_at }}'::timestamptz
    from {{ ref('int_consensus_votes') }} as votes
    where
        exists (select from moved)
        and exists (
            select from moved
            where votes.source_key = moved.source_key and votes.field_name = moved.field_name
        )
    {%- endif %}
    on conflict do nothing
{% endmacro %}

{#- Post-hook of listing_consensus: these weights are now applied everywhere. -#}
{% macro record_consensus_applied_weights() %}
    delete from {{ generate_schema_name('intermediate', none) }}.consensus_applied_weights;
    insert into {{ generate_schema_name('intermediate', none) }}.consensus_applied_weights
    select source_key, field_name, weight, is_trusted
    from {{ ref('int_source_reliability') }}
{% endmacro %}
