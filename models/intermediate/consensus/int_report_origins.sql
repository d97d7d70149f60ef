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
        ],
        post_hook="{{ record_incremental_watermark() }}",
    )
}}

{#-
    One row per report: is it an observation of its own, or a copy or re-upload of one?

    An observation is identified by what was seen and when: (zpid, scrape `datetime`,
    data_hash). The first report of it (server time, then file, then row) is the
    original; a later report of the same observation by the same source is a re-upload
    (the miners' uploader re-sends rows), by another source a copy (files re-uploaded or
    rows re-packed under another hotkey). Reports without a scrape `datetime` are always
    their own observation. A source is a hotkey, or its coldkey when the operator lists
    one in the miner_uids seed (column `coldkey`): hotkeys of one coldkey are one source.
    Stored as its key, source_key: the file_id of its first file (hotkey_sources(), which
    also gives its source_id), 8 bytes rather than the source's 49.

    observed_at: the scrape `datetime`, but never later than the server time of the upload
    (a miner can claim any scrape time, not a future one).

    Incremental by listing: everything here is per zpid, so a run recomputes the listings
    its new reports touch.
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

-- each hotkey's source key (macros/source_id_of.sql)
hotkey_sources as (
    {{- hotkey_sources() }}
),

sourced as (
    select
        listing_reports.attestation_id,
        listing_reports.zpid,
        listing_reports.miner_hotkey,
        hotkey_sources.source_key,
        listing_reports.submitted_at,
        listing_reports.file_id,
        listing_reports.row_index,
        {{ observed_at('listing_reports') }} as observed_at,
        coalesce(
            listing_reports.datetime::text || '|' || listing_reports.data_hash,
            listing_reports.attestation_id::text
        ) collate "C" as observation_key
    from listing_reports
    left join hotkey_sources on listing_reports.miner_hotkey = hotkey_sources.miner_hotkey
),

ordered as (
    select
        *,
        first_value(miner_hotkey) over observation as origin_hotkey,
        first_value(source_key) over observation as origin_source_key,
        row_number() over observation as observation_rank
    from sourced
    window observation as (
        partition by zpid, observation_key
        order by submitted_at, file_id, row_index
    )
),

final as (
    select
        attestation_id,
        zpid,
        miner_hotkey,
        source_key,
        origin_hotkey,
        observed_at,
        submitted_at,
        file_id,
        row_index,
        case
            when observation_rank = 1 then 'original'
            when source_key = origin_source_key then 'reupload'
            else 'copy'
        end as report_kind
    from ordered
)

select * from final
