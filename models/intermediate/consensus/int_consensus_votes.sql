{{ config(materialized='view') }}

{#-
    One row per (zpid, field_name, source_key): the source's current vote on the field of
    the listing, i.e. its latest original observation of it, and the report it is
    (attestation_id: the hotkey, file and row are in int_report_origins). The votes are
    stored one row per report in int_consensus_votes_by_report, a column set per field;
    this view gives them one row per field, as the method reads them.

    Unpivoted by unnest() in the select list, not by a lateral join: the lateral's loop is
    a nested loop, which the models' planner settings disable (macros/planner_settings.sql),
    and on PostgreSQL 15 a disabled node in a plan makes every plan above it cost the same
    to the planner (int_miner_listing_agreement's incremental select took 2.4 s against
    0.6 s). A filter on zpid still reaches int_consensus_votes_by_report's zpid index; a
    filter on field_name or is_disputed applies to each report's fields as they come out.
-#}

with

votes_by_report as (
    select * from {{ ref('int_consensus_votes_by_report') }}
),

-- each report's fields, one row each (macros/listing_fields.sql)
report_fields as (
    select
        zpid,
        source_key,
        attestation_id,
        observed_at,
        unnest({{ listing_field_array("'%s'") }}) collate "C" as field_name,
        unnest({{ listing_field_array('%s') }}) collate "C" as field_value,
        unnest({{ listing_field_array('%s_voting_sources') }}) as voting_sources,
        unnest({{ listing_field_array('%s_is_disputed') }}) as is_disputed,
        unnest({{ listing_field_array('%s_earlier_values') }}) as earlier_values
    from votes_by_report
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
        coalesce(earlier_values, '[]'::jsonb) as earlier_values
    from report_fields
    where field_value is not null
)

select * from final
