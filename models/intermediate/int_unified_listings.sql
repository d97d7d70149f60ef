{{
    config(
        materialized='incremental',
        incremental_strategy='changed_rows',
        unique_key='zpid',
        listing_slices=true,
        row_key=['zpid'],
        on_schema_change='fail',
        indexes=[
            {'columns': ['zpid'], 'unique': true},
            {'columns': ['zip_code', 'last_updated_at']},
            {'columns': ['price']},
            {'columns': ['latitude', 'longitude']},
            {'columns': ['last_updated_at']},
            {'columns': ['home_status']},
        ],
        post_hook="{{ record_incremental_watermark() }}",
    )
}}

{#-
    One row per listing (zpid): each field at its consensus value, with the listing's
    report statistics; the stored, indexed body of the unified_listings mart. Incremental:
    a run recomputes the listings its new reports touch. data_freshness_hours, which moves
    for every listing whenever any new report arrives, is not stored: the unified_listings
    view computes it when read.
-#}

with
{% if is_incremental() %}
touched_listings as (
    {{ touched_zpids() }}
),
{% endif %}
listing_consensus as (
    select * from {{ ref('listing_consensus') }}
    {{- only_listings_to_build() }}
),

listing_reports as (
    select * from {{ ref('int_listing_reports') }}
    {{- only_listings_to_build() }}
),

consensus_values as (
    select * from listing_consensus
    where is_consensus
),

pivoted as (
    select
        zpid,
        {%- for field in listing_fields() %}
        max(field_value) filter (
            where field_name = '{{ field.name }}'
        )::{{ field.data_type }}
        {{- ' collate "default"' if field.data_type == 'text' }} as {{ field.name }},
        {%- endfor %}
        round(
            avg(confidence_score) filter (where field_name in {{ scored_field_names_sql() }}),
            6
        ) as consensus_score,
        string_agg(field_name, ',' order by field_name) filter (where is_contested)
            as contested_fields
    from consensus_values
    group by zpid
),

report_stats as (
    select
        zpid,
        min(submitted_at) as first_seen_at,
        max(submitted_at) as last_updated_at,
        count(*) as total_submissions,
        count(distinct miner_hotkey) as unique_miners_count
    from listing_reports
    group by zpid
),

final as (
    select
        pivoted.zpid,
        {%- for field in listing_fields() %}
        pivoted.{{ field.name }},
        {%- endfor %}
        report_stats.first_seen_at,
        report_stats.last_updated_at,
        report_stats.total_submissions::integer as total_submissions,
        report_stats.unique_miners_count::integer as unique_miners_count,
        pivoted.consensus_score,
        pivoted.contested_fields
    from pivoted
    inner join report_stats on pivoted.zpid = report_stats.zpid
)

select * from final
