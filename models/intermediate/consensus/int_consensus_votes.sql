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
        post_hook="{{ record_incremental_watermark() }}",
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
    {{- only_touched_listings() }}
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
        row_number() over newest_first as recency_rank,
        first_value(field_reports.field_value) over newest_first as latest_value
    from field_reports
    inner join report_origins on field_reports.attestation_id = report_origins.attestation_id
    where report_origins.report_kind = 'original'
    window newest_first as (
        partition by field_reports.zpid, field_reports.field_name, report_origins.source_id
        order by
            report_origins.observed_at desc,
            report_origins.submitted_at desc,
            report_origins.file_id desc,
            report_origins.row_index desc
    )
),

-- one pass over the observations in their window's order (no self-join): the latest one's
-- columns, and the other values seen before it
final as (
    select
        zpid,
        field_name,
        min(latest_value) as field_value,
        source_id,
        min(miner_hotkey) filter (where recency_rank = 1) as miner_hotkey,
        min(observed_at) filter (where recency_rank = 1) as observed_at,
        coalesce(
            jsonb_agg(distinct field_value order by field_value)
            filter (where field_value <> latest_value),
            '[]'::jsonb
        ) as earlier_values
    from observations
    group by zpid, field_name, source_id
)

select * from final
