{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='file_id',
        on_schema_change='fail',
        indexes=[{'columns': ['file_id'], 'unique': true}],
    )
}}

{#-
    One row per object version in the manifest, with the facts about the file itself that
    the quality marts and alerts judge: is it a byte copy of an earlier upload (and whose),
    how far its name's clock is off the server's, does its name claim the right count,
    and do its columns match the 18 listing columns (schema drift). The one place these
    rules live: miner_performance, network_quality_daily and the alerts read them here.

    Incremental by file: a run checks the files it does not hold yet (an anti-join, so a
    file committed late is still picked up), and checks again every file that shares its
    bytes with one of them, since a new file can be an earlier upload of the same bytes
    (a late commit) and so change which upload is the original. A manifest row never
    changes once committed (loader/manifest.py), so no other file's facts can change.
-#}

with

manifest as (
    select * from {{ ref('stg_raw__source_files') }}
),
{% if is_incremental() %}
new_files as (
    select
        manifest.file_id,
        manifest.content_sha256
    from manifest
    where
        not exists (
            select 1 from {{ this }} as already_checked
            where already_checked.file_id = manifest.file_id
        )
),
{% endif %}
source_files as (
    select * from manifest
    {%- if is_incremental() %}
    where
        file_id in (select new_files.file_id from new_files)
        or content_sha256 in (select new_files.content_sha256 from new_files)
    {%- endif %}
),

-- the first upload of some bytes (server time, then file id) is the original; every
-- later upload of the same bytes, by any hotkey, is a duplicate of it
copies as (
    select
        file_id,
        row_number() over (
            partition by content_sha256 order by submitted_at, file_id
        ) > 1 as is_duplicate_file,
        first_value(miner_hotkey) over (
            partition by content_sha256 order by submitted_at, file_id
        ) as original_miner_hotkey
    from source_files
    where is_loaded and content_sha256 is not null
),

-- the names of the file's columns as received, for loaded files
file_columns as (
    select
        source_files.file_id,
        array_agg(
            schema_fields.schema_field ->> 'name' order by schema_fields.field_position
        ) as column_names
    from source_files
    cross join
        lateral jsonb_array_elements(source_files.arrow_schema -> 'fields')
        with ordinality as schema_fields (schema_field, field_position)
    where source_files.is_loaded and jsonb_typeof(source_files.arrow_schema -> 'fields') = 'array'
    group by source_files.file_id
),

checked as (
    select
        source_files.file_id,
        source_files.miner_hotkey,
        coalesce(source_files.miner_hotkey, '(key without a hotkey)') as subject,
        source_files.is_loaded,
        source_files.submitted_at,
        (source_files.submitted_at at time zone 'UTC')::date as submitted_on,
        source_files.loaded_at,
        source_files.row_count,
        source_files.reject_reason,
        -- the file name's time minus the server's, in hours (the name's clock is naive:
        -- read as UTC, as the miners' reference code writes it)
        round(extract(
            epoch from source_files.claimed_submitted_at
            - (source_files.submitted_at at time zone 'UTC')
        ) / 3600, 6) as clock_skew_hours,
        coalesce(copies.is_duplicate_file, false) as is_duplicate_file,
        case when copies.is_duplicate_file then copies.original_miner_hotkey end
            as original_miner_hotkey,
        coalesce(
            source_files.row_count <> source_files.claimed_record_count, false
        ) as is_record_count_mismatch,
        array(
            select listing.column_name
            from unnest({{ miner_file_fields_array_sql() }}) as listing (column_name)
            where listing.column_name <> all(file_columns.column_names)
        ) as missing_columns,
        array(
            select received.column_name
            from unnest(file_columns.column_names) as received (column_name)
            where received.column_name <> all({{ miner_file_fields_array_sql() }})
        ) as extra_columns,
        file_columns.file_id is not null as has_known_schema
    from source_files
    left join copies on source_files.file_id = copies.file_id
    left join file_columns on source_files.file_id = file_columns.file_id
),

final as (
    select
        *,
        coalesce(is_duplicate_file and original_miner_hotkey <> miner_hotkey, false)
            as is_copied_file,
        cardinality(missing_columns) + cardinality(extra_columns) > 0 as has_schema_drift
    from checked
)

select * from final
