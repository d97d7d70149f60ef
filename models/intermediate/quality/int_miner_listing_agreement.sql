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
    it per miner. Beside them, the method's votes (int_consensus_votes_by_report): of the
    source's current votes that are this miner's reports, how many, how many on contested
    fields, and how many on settled fields agree with the published value;
    miner_reliability sums those per miner. Summed here, listing by listing in slices, they
    need no join of every vote to every published value (over 8 GB of temporary files at
    10M raw rows).
    Incremental like listing_consensus: a run recomputes every miner's row of the listings
    its new reports touch (a new report can move the consensus, and so every miner's
    agreement on that listing); other listings' rows cannot change.
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

consensus_listings as not materialized (
    select * from {{ ref('listing_consensus') }}
    {{- only_listings_to_build() }}
),

votes_by_report as (
    select * from {{ ref('int_consensus_votes_by_report') }}
    {{- only_listings_to_build() }}
),

report_origins as (
    select * from {{ ref('int_report_origins') }}
    {{- only_listings_to_build() }}
),

consensus_by_listing as (
    {{ scored_consensus_by_listing('consensus_listings', with_contested=true) }}
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

-- the method's current votes on scored fields, each by the miner whose report it is,
-- against the published value of its field: a report's votes (one row, a column per
-- field) beside its listing's published values, as compared above. Read one row per vote
-- (int_consensus_votes) and joined to the published values field by field, the model took
-- 15.4 s at 1M raw rows, against 8.1 s this way.
method_votes_by_report as (
    select
        votes_by_report.zpid,
        report_origins.miner_hotkey,
        {{ scored_votes_compared('votes_by_report', 'consensus_by_listing') }}
    from votes_by_report
    inner join consensus_by_listing on votes_by_report.zpid = consensus_by_listing.zpid
    inner join report_origins on votes_by_report.attestation_id = report_origins.attestation_id
    -- the sums' terms worked out here, per report, before the grouping below: it then
    -- hashes three numbers a report, where it sorted every field of the votes and the
    -- consensus
    {{ evaluate_once_per_row() }}  -- noqa: AM09
),

method_votes as (
    select
        zpid,
        miner_hotkey,
        sum(method_votes) as method_votes,
        sum(contested_votes) as contested_votes,
        sum(settled_agreeing_votes) as settled_agreeing_votes
    from method_votes_by_report
    group by zpid, miner_hotkey
    having sum(method_votes) > 0
),

final as (
    select
        coalesce(compared.zpid, method_votes.zpid) as zpid,
        coalesce(compared.miner_hotkey, method_votes.miner_hotkey) as miner_hotkey,
        coalesce(compared.field_votes, 0) as field_votes,
        coalesce(compared.agreeing_votes, 0) as agreeing_votes,
        coalesce(method_votes.method_votes, 0)::integer as method_votes,
        coalesce(method_votes.contested_votes, 0)::integer as contested_votes,
        coalesce(method_votes.settled_agreeing_votes, 0)::integer as settled_agreeing_votes
    from (
        select * from compared
        where field_votes > 0
    ) as compared
    full join method_votes
        on
            compared.zpid = method_votes.zpid
            and compared.miner_hotkey = method_votes.miner_hotkey
)

select * from final
