{{
    config(
        materialized='incremental',
        pre_hook="set local work_mem = '{{ var('heavy_model_work_mem') }}'",
        incremental_strategy='delete+insert',
        unique_key='zpid',
        on_schema_change='fail',
        indexes=[{'columns': ['zpid', 'field_name']}],
        post_hook="{{ record_incremental_watermark() }}",
    )
}}

{#-
    One row per (zpid, field_name, field_value) ever reported, tallied by the consensus
    rule. Incremental: a run recomputes every row of the listings its new reports touch.
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

ranked_votes as (
    {{ majority_of_latest_reports('field_reports') }}
),

final as (
    select
        zpid,
        field_name,
        field_value,
        miner_count,
        submission_count,
        first_reported_at,
        last_reported_at,
        confidence_score,
        is_consensus
    from ranked_votes
)

select * from final
