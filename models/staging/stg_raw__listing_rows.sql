{{
    config(
        materialized='incremental',
        pre_hook="{{ nested_loops_by_file() }}",
        post_hook=[
            "{{ index_first_row_of_file() }}",
            after_commit("{{ vacuum_built_table() }}"),
        ],
        unique_key=['file_id', 'row_index'],
        incremental_strategy='append',
        indexes=[
            {'columns': ['file_id', 'row_index'], 'unique': true},
        ],
    )
}}

{#-
    One row per raw listing row, cast and cleaned: "no value" markers ('', 'NaN', 'None',
    ...) become NULL, text is trimmed, numbers and timestamps are safely cast (bad text ->
    NULL plus a `*_cast_failed` flag). Canonical forms and validity are the intermediate
    layer's (int_listing_rows_normalized, int_listing_rows_validated). Incremental by file:
    each run adds the rows of loaded files not yet here.
-#}

with

source_files as (
    select * from {{ source('raw', 'source_files') }}
),

files_to_process as (
    select source_files.file_id
    from source_files
    where
        source_files.status = 'loaded'
        and {{ files_not_yet_in_this('source_files') }}
),

-- an incremental run reads the new files' rows by raw's key: joined to the files alone,
-- at 10M raw rows PostgreSQL expected 7,998 new files where there was one and scanned
-- every raw row (8.6 s for a 1,000-row file)
listing_rows as (
    select * from {{ source('raw', 'listing_rows') }}
    {{- only_files_to_process() }}
),

cleaned as (
    select
        listing_rows.file_id,
        listing_rows.row_index,
        {%- for column in miner_file_fields() %}
        {{ null_if_missing("listing_rows." ~ column) }} as {{ column }}_text,
        {%- endfor %}
        listing_rows.extra_columns
    from listing_rows
    inner join files_to_process on listing_rows.file_id = files_to_process.file_id
    {{ evaluate_once_per_row() }}  -- noqa: AM09
),

-- each safe cast evaluated once per row
typed as (
    select
        *,
        {{ safe_cast_timestamptz('datetime_text') }} as datetime,
        {{ safe_cast_numeric('price_text') }} as price_numeric,
        {{ safe_cast_numeric('bedrooms_text') }} as bedrooms_numeric,
        {{ safe_cast_numeric('bathrooms_text') }} as bathrooms_numeric,
        {{ safe_cast_numeric('living_area_text') }} as living_area_numeric,
        {{ safe_cast_numeric('days_on_zillow_text') }} as days_on_zillow_numeric,
        {{ safe_cast_numeric('latitude_text') }} as latitude_numeric,
        {{ safe_cast_numeric('longitude_text') }} as longitude_numeric
    from cleaned
    {{ evaluate_once_per_row() }}  -- noqa: AM09
),

casted as (
    select
        *,
        {{ numeric_to_integer('price_numeric', 'bigint', round=true) }} as price,
        {{ numeric_to_integer('bedrooms_numeric') }} as bedrooms,
        trim_scale(bathrooms_numeric) as bathrooms,
        {{ numeric_to_integer('living_area_numeric', round=true) }} as living_area,
        {{ numeric_to_integer('days_on_zillow_numeric') }} as days_on_zillow,
        latitude_numeric as latitude,
        longitude_numeric as longitude
    from typed
),

final as (
    select
        file_id,
        row_index,
        zpid_text,
        uri_text as uri,
        datetime,
        label_text as label,
        price,
        address_text,
        bedrooms,
        bathrooms,
        living_area,
        home_type_text,
        home_status_text,
        days_on_zillow,
        url_text as url,
        zip_code_text,
        city_text,
        state_text,
        latitude,
        longitude,
        extra_columns,
        -- text was there but no value came out of it
        datetime_text is not null and datetime is null as datetime_cast_failed,
        price_text is not null and price is null as price_cast_failed,
        bedrooms_text is not null and bedrooms is null as bedrooms_cast_failed,
        bathrooms_text is not null and bathrooms is null as bathrooms_cast_failed,
        living_area_text is not null and living_area is null as living_area_cast_failed,
        days_on_zillow_text is not null and days_on_zillow is null as days_on_zillow_cast_failed,
        latitude_text is not null and latitude is null as latitude_cast_failed,
        longitude_text is not null and longitude is null as longitude_cast_failed
    from casted
)

select * from final
