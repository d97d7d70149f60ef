{{
    config(
        materialized='incremental',
        incremental_strategy='changed_rows',
        unique_key='zpid',
        listing_slices=true,
        row_key=['attestation_id'],
        on_schema_change='fail',
        indexes=[
            {'columns': ['attestation_id'], 'unique': true},
            {'columns': ['zpid']},
            {'columns': ['miner_hotkey']},
        ],
        post_hook="{{ record_incremental_watermark() }}",
    )
}}

{#-
    One row per report of a listing by a miner in a file: who said what and when, the
    hash, the duplicate and validation flags, and how much of the report agrees with the
    consensus; the stored, indexed body of the miner_attestations mart. Incremental: a run
    recomputes every attestation of the listings its new reports touch (their consensus,
    hence validation_score, may have moved) and writes the rows that changed
    (changed_rows). Not stored, read by the mart's view where they live: its file's facts
    (path, job, claimed time, row count; by file_id, from stg_raw__source_files: the path
    alone was 183 of this table's 448 bytes a row), the miner's UID (from the miner_uids
    seed, so a new metagraph needs no rebuild), and validation_timestamp, the listing's
    latest report time, which would change every report of a listing with each new one
    (from int_unified_listings).
-#}

with
{% if is_incremental() %}
touched_listings as (
    {{ touched_zpids() }}
),
{% endif %}
-- read where it is used: three readers would otherwise make PostgreSQL copy every report
-- (0.8 GB of temporary files in a 1M-row full build)
listing_reports as not materialized (
    select * from {{ ref('int_listing_reports') }}
    {{- only_listings_to_build() }}
),

listing_consensus as (
    select * from {{ ref('listing_consensus') }}
    {{- only_listings_to_build() }}
),

report_origins as (
    select * from {{ ref('int_report_origins') }}
    {{- only_listings_to_build() }}
),

consensus_by_listing as (
    {{ scored_consensus_by_listing('listing_consensus') }}
),

-- per report: of its scored fields with a value and a consensus value, how many, and how
-- many equal the consensus (macros/scored_fields_wide.sql)
field_agreement as (
    select
        listing_reports.attestation_id,
        {{ scored_fields_agreeing('listing_reports', 'consensus_by_listing', false) }}
            as agreeing_fields,
        {{ scored_fields_compared('listing_reports', 'consensus_by_listing') }}
            as compared_fields
    from listing_reports
    inner join consensus_by_listing on listing_reports.zpid = consensus_by_listing.zpid
),

report_order as (
    select
        attestation_id,
        -- the same miner reporting the same listing content again. The hash covers the
        -- zpid, so partitioning by the zpid first makes the same groups, and the reports,
        -- read in zpid order, are then sorted listing by listing (an incremental sort),
        -- not all at once by a 64-character hash
        row_number() over (
            partition by zpid, miner_hotkey, data_hash
            order by submitted_at, file_id, row_index
        ) > 1 as is_duplicate
    from listing_reports
),

final as (
    select
        listing_reports.attestation_id,
        listing_reports.file_id,
        listing_reports.miner_hotkey,
        listing_reports.zpid,
        listing_reports.submitted_at as submission_timestamp,
        listing_reports.data_hash,
        -- the same miner again, or a copy of another miner's observation
        report_order.is_duplicate or report_origins.report_kind = 'copy' as is_duplicate,
        listing_reports.is_valid as is_validated,
        round(
            field_agreement.agreeing_fields::numeric
            / nullif(field_agreement.compared_fields, 0),
            6
        ) as validation_score
    from listing_reports
    inner join report_order on listing_reports.attestation_id = report_order.attestation_id
    inner join report_origins on listing_reports.attestation_id = report_origins.attestation_id
    left join field_agreement on listing_reports.attestation_id = field_agreement.attestation_id
)

select * from final
