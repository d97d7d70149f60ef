{{ config(materialized='view') }}

{#-
    One row per normalized listing row, flagged against the validator's floor (vars
    price_min_dollars, price_max_dollars, rooms_min, rooms_max), the zip code's state and
    its file's columns: a value is valid when it is absent or in range, and its column was
    in the file (a file without a `price` column does not pass for price).

    One select over a subquery, without the project's import CTEs (as unified_listings):
    a view with a WITH clause stays a subquery of its own in the query that reads it, and
    the reader's ORDER BY then cannot reach the tables' indexes. Flattened, a full build of
    int_listing_reports reads these rows in zpid order by int_listing_rows_normalized's
    zpid index instead of sorting them (at 10M raw rows that sort wrote 4.4 GB of
    temporary files).
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

select
    flagged.*,
    (
        flagged.is_zpid_valid
        {%- for column in range_checks %}
        and flagged.is_{{ column }}_valid
        {%- endfor %}
        and flagged.is_zip_state_consistent
        and flagged.has_every_listing_column
        and not flagged.has_cast_failure
    ) as is_valid
from (
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
            -- every zip code of the state's ranges (about 100k in all, hashed once): a
            -- look-up per row, not a join, so a read in listing order stays in order
            else (normalized_rows.state, normalized_rows.zip_code) in (
                    select
                        ranges.state_code,
                        lpad(
                            generate_series(ranges.zip_from::int, ranges.zip_to::int)::text, 5, '0'
                        ) as zip_code
                    from {{ ref('state_zip_ranges') }} as ranges
                )
        end as is_zip_state_consistent,
        ({{ failure_flags | join(' or ') }}) as has_cast_failure
    from {{ ref('int_listing_rows_normalized') }} as normalized_rows
    inner join {{ ref('int_source_files_checked') }} as checked_files
        on normalized_rows.file_id = checked_files.file_id
) as flagged
