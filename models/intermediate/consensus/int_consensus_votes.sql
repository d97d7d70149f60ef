{{ config(materialized='view') }}

{#-
    One row per (zpid, field_name, source_key): the source's current vote on the field of
    the listing, i.e. its latest original observation of it, and the report it is
    (attestation_id: the hotkey, file and row are in int_report_origins). The votes are
    stored one row per report in int_consensus_votes_by_report, a column set per field;
    this view gives them one row per field, as the method reads them.

    One select, without import CTEs: PostgreSQL flattens the view into the query that
    reads it, so a filter on zpid reaches int_consensus_votes_by_report's zpid index, and a
    filter on field_name or is_disputed applies to each report's fields as they come out.
-#}

select
    votes.zpid,
    fields.field_name,
    fields.field_value,
    votes.source_key,
    votes.attestation_id,
    votes.observed_at,
    fields.voting_sources::integer as voting_sources,
    fields.is_disputed,
    coalesce(fields.earlier_values, '[]'::jsonb) as earlier_values
from {{ ref('int_consensus_votes_by_report') }} as votes
cross join
    lateral (
        values
        {%- for field in listing_fields() %}
        (
            '{{ field.name }}' collate "C",
            votes.{{ field.name }},
            votes.{{ field.name }}_voting_sources,
            votes.{{ field.name }}_is_disputed,
            votes.{{ field.name }}_earlier_values
        ){{ ',' if not loop.last }}
        {%- endfor %}
    ) as fields (field_name, field_value, voting_sources, is_disputed, earlier_values)
where fields.field_value is not null
