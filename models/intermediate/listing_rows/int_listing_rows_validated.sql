{{ config(materialized='view') }}

{#-
    One row per normalized listing row, flagged against the validator's floor (vars
    price_min_dollars, price_max_dollars, rooms_min, rooms_max), the zip code's state and
    its file's columns: a value is valid when it is absent or in range, and its column was
    in the file (a file without a `price` column does not pass for price).
-#}

{%- set range_checks = {
    'price': "between " ~ var('price_min_dollars') ~ " and " ~ var('price_max_dollars'),
    'bedrooms': "between " ~ var('rooms_min') ~ " and " ~ var('rooms_max'),
    'bathrooms': "between " ~ var('rooms_min') ~ " and " ~ var('rooms_max'),
    'living_area': "> 0",
    'latitude': "between -90 and 90",
    'longitude': "between -180 and 180",
} %}
{%- set failure_flags = [
    'zpid_cast_failed', 'datetime_cast_failed', 'price_cast_failed', 'bedrooms_cast_failed',
    'bathrooms_cast_failed', 'living_area_cast_failed', 'days_on_zillow_cast_failed',
    'latitude_cast_failed', 'longitude_cast_failed', 'zip_code_cast_failed',
    'state_cast_failed', 'home_type_unmapped', 'home_status_unmapped',
] %}

with

normalized_rows as (
    select * from {{ ref('int_listing_rows_normalized') }}
),

checked_files as (
    select * from {{ ref('int_source_files_checked') }}
),

state_zip_ranges as (
    select * from {{ ref('state_zip_ranges') }}
),

flagged as (
    select
        normalized_rows.*,
        cardinality(checked_files.missing_columns) = 0 as has_every_listing_column,
        {{ is_valid_zpid('normalized_rows.zpid') }} as is_zpid_valid,
        {%- for column, check in range_checks.items() %}
        coalesce(normalized_rows.{{ column }} {{ check }}, true)
        and '{{ column }}' <> all(checked_files.missing_columns) as is_{{ column }}_valid,
        {%- endfor %}
        case
            when normalized_rows.zip_code is null or normalized_rows.state is null then true
            else state_zip_ranges.state_code is not null
        end as is_zip_state_consistent,
        ({{ failure_flags | join(' or ') }}) as has_cast_failure
    from normalized_rows
    inner join checked_files on normalized_rows.file_id = checked_files.file_id
    left join state_zip_ranges
        on
            normalized_rows.state = state_zip_ranges.state_code
            and normalized_rows.zip_code
            between state_zip_ranges.zip_from and state_zip_ranges.zip_to
),

final as (
    select
        *,
        (
            is_zpid_valid
            {%- for column in range_checks %}
            and is_{{ column }}_valid
            {%- endfor %}
            and is_zip_state_consistent
            and has_every_listing_column
            and not has_cast_failure
        ) as is_valid
    from flagged
)

select * from final
