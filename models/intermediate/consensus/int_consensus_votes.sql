{{
    config(
        materialized='incremental',
        pre_hook="set local work_mem = '{{ var('heavy_model_work_mem') }}'",
        incremental_strategy='delete+insert',
        unique_key='zpid',
        on_schema_change='fail',
        indexes=[
            {'columns': ['zpid', 'field_name', 'source_id'], 'unique': true},
            {'columns': ['source_id', 'field_name']},
        ],
        post_hook=["{{ record_incremental_watermark() }}", "analyze {{ this }}"],
    )
}}

{#-
    One row per (zpid, field_name, source_id): the source's current vote, i.e. its latest
    original observation of the field (by observed_at, then server time, file, row).
    Copies and re-uploads are not observations (int_report_origins) and never vote, so a
    copied or re-uploaded old value cannot outvote anything. earlier_values: the other
    values this source observed for the field before (what its re-scrapes replaced),
    as a JSON array of text.
    Incremental by listing, like int_report_origins.
-#}

with
{% if is_incremental() %}
touched_listings as (
    {{ touched_zpids() }}
),
{% endif %}
field_reports as (
    select * from {{ ref('int_field_reports_unpivoted') }}
    {%- if is_incremental() %}
    -- = any(array(...)): read by the zpid index (see int_miner_listing_agreement)
    where zpid = any(array(select touched_listings.zpid from touched_listings))
    {%- endif %}
),

report_origins as (
    select * from {{ ref('int_report_origins') }}
    {{- only_touched_listings() }}
),

observations as (
    select
        field_reports.zpid,
        field_reports.field_name,
        field_reports.field_value,
        report_origins.source_id,
        report_origins.miner_hotkey,
        report_origins.observed_at,
        row_number() over (
            partition by field_reports.zpid, field_reports.field_name, report_origins.source_id
            order by
                report_origins.observed_at desc,
                report_origins.submitted_at desc,
                report_origins.file_id desc,
                report_origins.row_index desc
        ) as recency_rank
    from field_reports
    inner join report_origins on field_reports.attestation_id = report_origins.attestation_id
    where report_origins.report_kind = 'original'
),

latest as (
    select * from observations
    where recency_rank = 1
),

earlier as (
    select
        observations.zpid,
        observations.field_name,
        observations.source_id,
        jsonb_agg(distinct observations.field_value order by observations.field_value)
            as earlier_values
    from observations
    inner join latest
        on
            observations.zpid = latest.zpid
            and observations.field_name = latest.field_name
            and observations.source_id = latest.source_id
    where observations.recency_rank > 1 and observations.field_value <> latest.field_value
    group by observations.zpid, observations.field_name, observations.source_id
),

final as (
    select
        latest.zpid,
        latest.field_name,
        latest.field_value,
        latest.source_id,
        latest.miner_hotkey,
        latest.observed_at,
        coalesce(earlier.earlier_values, '[]'::jsonb) as earlier_values
    from latest
    left join earlier
        on
            latest.zpid = earlier.zpid
            and latest.field_name = earlier.field_name
            and latest.source_id = earlier.source_id
)

select * from final
