{{
    config(
        materialized='incremental',
        incremental_strategy='changed_rows',
        unique_key='zpid',
        listing_slices=true,
        row_key=['attestation_id'],
        on_schema_change='fail',
        indexes=[{'columns': ['zpid']}],
        post_hook="{{ record_incremental_watermark() }}",
    )
}}

{#-
    The method's votes, stored one row per report that holds any: one row per report
    (attestation_id) that is its source's current vote on at least one field, i.e. the
    source's latest original observation of that field (by observed_at, then server time,
    file, row). Per field four columns, NULL where the report does not hold the source's
    vote on it: the value (canonical text); voting_sources and is_disputed (how many
    sources vote on the field of the listing, and whether their values differ: what
    int_source_reliability scores sources on, and the votes int_coordinated_groups
    pairs); and earlier_values (the other values this source observed for the field
    before, what its re-scrapes replaced: a JSON array of text, NULL when there are none).
    int_consensus_votes reads them one row per vote.
    Copies and re-uploads are not observations (int_report_origins) and never vote, so a
    copied or re-uploaded old value cannot outvote anything.
    Stored one row per vote, each row repeated its listing, source, report and time for
    the ~16 fields of the report: 1,152 MB at 1M raw rows, the project's largest table. A
    source's current votes on a listing nearly always come from one report, so this
    stores them about once per (listing, source): 247 MB.
    Worked out per (listing, source) on whole reports, newest first: the reports are
    sorted once, not once per field, and the windows over each source's newer observations
    and over all of them need no sort per group.
    Incremental by listing, like int_report_origins.
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

report_origins as (
    select * from {{ ref('int_report_origins') }}
    {{- only_listings_to_build() }}
),

-- each source's original observations of each listing, newest first, with every field
-- as canonical text and, per field: whether this is the source's vote on it (its newest
-- value: no newer observation of the source has the field) and, on that one only, every
-- value the source observed for the field, newest first. Over the whole group, that
-- array is aggregated once per (listing, source); over a frame of the older
-- observations, which moves with each row, it was aggregated again for every row,
-- quadratic in the source's observations of the listing (a daily re-scrape for a year).
observations as (
    select
        {%- for field in listing_fields() %}
        {%- set column = 'listing_reports.' ~ field.name %}
        {%- set value = canonical_text(column, field.data_type) %}
        {%- set is_vote = column ~ ' is not null and count(' ~ column ~ ')'
            ~ ' over newer_observations = 0' %}
        {{ value }} as {{ field.name }},
        {{ is_vote }} as {{ field.name }}_is_vote,
        case
            when {{ is_vote }}
                then
                    array_agg({{ value }}) filter (where {{ column }} is not null)
                        over every_observation
        end as {{ field.name }}_observed_values,
        {%- endfor %}
        report_origins.zpid,
        report_origins.source_key,
        report_origins.attestation_id,
        report_origins.observed_at
    from report_origins
    inner join listing_reports on report_origins.attestation_id = listing_reports.attestation_id
    where report_origins.report_kind = 'original'
    window
        newest_first as (
            partition by report_origins.zpid, report_origins.source_key
            order by
                report_origins.observed_at desc,
                report_origins.submitted_at desc,
                report_origins.file_id desc,
                report_origins.row_index desc
        ),
        newer_observations as (newest_first rows between unbounded preceding and 1 preceding),
        every_observation as (
            newest_first rows between unbounded preceding and unbounded following
        )
),

-- per listing and field: how many sources vote (with their newest value of it), and
-- whether those votes differ. int_source_reliability scores sources on these; worked out
-- here, one listing at a time, it needs no network-wide aggregate and join of every vote
-- (8 GB of temporary files at 10M raw rows). A window over the listing on the order the
-- observations already have: no second sort.
observations_in_listing as (
    select
        {%- for field in listing_fields() %}
        count(*) filter (where {{ field.name }}_is_vote) over listing
            as {{ field.name }}_voting_sources,
        min({{ field.name }}) filter (where {{ field.name }}_is_vote) over listing
        <> max({{ field.name }}) filter (where {{ field.name }}_is_vote) over listing
            as {{ field.name }}_is_disputed,
        {%- endfor %}
        observations.*
    from observations
    window listing as (partition by zpid)
),

-- each report with the fields it holds its source's current vote on (the others NULL),
-- and per field the other values the source observed before, where there are any
report_votes as (
    select
        zpid,
        source_key,
        attestation_id,
        {%- for field in listing_fields() %}
        case when {{ field.name }}_is_vote then {{ field.name }} end as {{ field.name }},
        case when {{ field.name }}_is_vote then {{ field.name }}_voting_sources::smallint end
            as {{ field.name }}_voting_sources,
        case when {{ field.name }}_is_vote then {{ field.name }}_is_disputed end
            as {{ field.name }}_is_disputed,
        case
            -- only where the source observed another value: a scan of the array, where
            -- the subquery ran for every vote with two observations, most of them the same
            -- value re-scraped (a slice's select at 1M raw rows: 3.1 s, now 2.1 to 2.3 s)
            when {{ field.name }} <> any({{ field.name }}_observed_values)
                then (
                    select jsonb_agg(distinct earlier.field_value order by earlier.field_value)
                    from unnest({{ field.name }}_observed_values) as earlier (field_value)
                    where earlier.field_value <> {{ field.name }}
                )
        end as {{ field.name }}_earlier_values,
        {%- endfor %}
        observed_at
    from observations_in_listing
),

-- the reports that hold at least one vote: what int_consensus_votes unpivots
final as (
    select * from report_votes
    where num_nonnulls({{ listing_fields() | map(attribute='name') | join(', ') }}) > 0
)

select * from final
