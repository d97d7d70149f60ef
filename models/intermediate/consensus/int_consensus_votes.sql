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
    Worked out per (listing, source) on whole reports, newest first, then one row per
    field: the reports are sorted once, not once per field.
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
    {{- only_touched_listings() }}
),

report_origins as (
    select * from {{ ref('int_report_origins') }}
    {{- only_touched_listings() }}
),

-- each source's original observations of each listing, newest first (recency 1, 2, ...),
-- with every field as canonical text
observations as (
    select
        report_origins.zpid,
        report_origins.source_id,
        report_origins.miner_hotkey,
        report_origins.observed_at,
        {%- for field in listing_fields() %}
        {{ canonical_text('listing_reports.' ~ field.name, field.data_type) }} as {{ field.name }},
        {%- endfor %}
        row_number() over (
            partition by report_origins.zpid, report_origins.source_id
            order by
                report_origins.observed_at desc,
                report_origins.submitted_at desc,
                report_origins.file_id desc,
                report_origins.row_index desc
        ) as recency
    from report_origins
    inner join listing_reports on report_origins.attestation_id = listing_reports.attestation_id
    where report_origins.report_kind = 'original'
),

-- per listing and source: its observations' miners, times and values in recency order
-- (arrays indexed by recency), and per field the recency of its newest value
observed_by_source as (
    select
        {%- for field in listing_fields() %}
        array_agg({{ field.name }} order by recency) as {{ field.name }}_values,
        min(recency) filter (where {{ field.name }} is not null) as {{ field.name }}_newest,
        {%- endfor %}
        array_agg(miner_hotkey order by recency) as miner_hotkeys,
        array_agg(observed_at order by recency) as observed_ats,
        zpid,
        source_id
    from observations
    group by zpid, source_id
),

-- one row per field the source observed
field_observations as (
    select
        observed_by_source.zpid,
        observed_by_source.source_id,
        observed_by_source.miner_hotkeys,
        observed_by_source.observed_ats,
        observed_fields.field_name,
        observed_fields.field_values[observed_fields.newest] as field_value,
        observed_fields.newest,
        -- the older values that differ from it (nulls are not values)
        array_remove(
            array_remove(
                observed_fields.field_values[observed_fields.newest + 1:],
                observed_fields.field_values[observed_fields.newest]
            ),
            null
        ) as replaced_values
    from observed_by_source
    cross join
        lateral (
            values
            {%- for field in listing_fields() %}
            (
                '{{ field.name }}',
                observed_by_source.{{ field.name }}_values,
                observed_by_source.{{ field.name }}_newest
            ){{ ',' if not loop.last }}
            {%- endfor %}
        ) as observed_fields (field_name, field_values, newest)
    where observed_fields.newest is not null
),

final as (
    select
        zpid,
        field_name,
        field_value,
        source_id,
        miner_hotkeys[newest] as miner_hotkey,
        observed_ats[newest] as observed_at,
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
