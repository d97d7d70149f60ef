{{
    config(
        materialized='incremental',
        incremental_strategy='changed_rows',
        unique_key='zpid',
        listing_slices=true,
        row_key=['zpid', 'field_name', 'source_key'],
        on_schema_change='fail',
        indexes=[{'columns': ['zpid', 'field_name']}],
        post_hook="{{ record_incremental_watermark() }}",
    )
}}

{#-
    One row per (zpid, field_name, source_key): the source's current vote, i.e. its latest
    original observation of the field (by observed_at, then server time, file, row), and
    the report it is (attestation_id: the hotkey, file and row are in int_report_origins).
    Copies and re-uploads are not observations (int_report_origins) and never vote, so a
    copied or re-uploaded old value cannot outvote anything. earlier_values: the other
    values this source observed for the field before (what its re-scrapes replaced),
    as a JSON array of text. voting_sources and is_disputed: how many sources vote on
    the field of the listing, and whether their values differ (what int_source_reliability
    scores sources on, and the votes int_coordinated_groups pairs).
    Worked out per (listing, source) on whole reports, newest first, then one row per
    field: the reports are sorted once, not once per field, and the windows over each
    source's newer observations and over all of them need no sort per group.
    The source is stored as its key (source_key, int_report_origins): at 1M raw rows, as
    text it was 49 of a row's 159 bytes.
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
-- as canonical text and, per field: whether this is the source's newest value of it (no
-- newer observation of the source has the field) and, on that observation only, every
-- value the source observed for the field, newest first. Over the whole group, that
-- array is aggregated once per (listing, source); over a frame of the older
-- observations, which moves with each row, it was aggregated again for every row,
-- quadratic in the source's observations of the listing (a daily re-scrape for a year).
observations as (
    select
        {%- for field in listing_fields() %}
        {%- set column = 'listing_reports.' ~ field.name %}
        {%- set value = canonical_text(column, field.data_type) %}
        {{ value }} as {{ field.name }},
        count({{ column }}) over newer_observations = 0 as {{ field.name }}_is_newest,
        case
            when {{ column }} is not null and count({{ column }}) over newer_observations = 0
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
        {%- set vote = field.name ~ ' is not null and ' ~ field.name ~ '_is_newest' %}
        count(*) filter (where {{ vote }}) over listing as {{ field.name }}_voting_sources,
        min({{ field.name }}) filter (where {{ vote }}) over listing
        <> max({{ field.name }}) filter (where {{ vote }}) over listing
            as {{ field.name }}_is_disputed,
        {%- endfor %}
        observations.*
    from observations
    window listing as (partition by zpid)
),

-- one row per field the source observed: its newest value
field_observations as (
    select
        observations.zpid,
        observations.source_key,
        observations.attestation_id,
        observations.observed_at,
        observed_fields.field_name,
        observed_fields.field_value,
        observed_fields.voting_sources,
        observed_fields.is_disputed,
        -- the older values that differ from it
        array_remove(
            coalesce(observed_fields.observed_values, '{}'), observed_fields.field_value
        ) as replaced_values
    from observations_in_listing as observations
    cross join
        lateral (
            values
            {%- for field in listing_fields() %}
            (
                '{{ field.name }}' collate "C",
                observations.{{ field.name }},
                observations.{{ field.name }}_is_newest,
                observations.{{ field.name }}_observed_values,
                observations.{{ field.name }}_voting_sources,
                observations.{{ field.name }}_is_disputed
            ){{ ',' if not loop.last }}
            {%- endfor %}
        ) as observed_fields (
            field_name, field_value, is_newest, observed_values, voting_sources, is_disputed
        )
    where observed_fields.field_value is not null and observed_fields.is_newest
),

final as (
    select
        zpid,
        field_name,
        field_value,
        source_key,
        attestation_id,
        observed_at,
        voting_sources::integer as voting_sources,
        is_disputed,
        case
            when cardinality(replaced_values) = 0 then '[]'::jsonb
            else (
                select jsonb_agg(distinct replaced.field_value order by replaced.field_value)
                from unnest(replaced_values) as replaced (field_value)
            )
        end as earlier_values
    from field_observations
)

select * from final
