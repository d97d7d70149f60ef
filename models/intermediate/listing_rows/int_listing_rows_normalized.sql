{{
    config(
        materialized='incremental',
        pre_hook=[
            "{{ nested_loops_allowed() }}",
            "{{ parallel_workers_in_full_build() }}",
        ],
        post_hook=[
            "{{ index_first_row_of_file() }}",
            after_commit("{{ vacuum_built_table() }}"),
        ],
        unique_key=['file_id', 'row_index'],
        incremental_strategy='append',
        indexes=[
            {'columns': ['file_id', 'row_index'], 'unique': true},
            {'columns': ['zpid']},
        ],
    )
}}

{#-
    One row per staged listing row, in the canonical forms: zpid digits only, 5-digit zip,
    2-letter state, address upper-cased with its street suffix abbreviated, city, state
    and zip from the address tail (or the label) when their columns are empty, home type
    and status through the seeds, coordinates rounded; flags where text gave no canonical
    value; and data_hash. Incremental by file, like stg_raw__listing_rows. Indexed on zpid
    too: a full build of int_listing_reports reads the rows in listing order by it
    (listing_order_by_index(), macros/planner_settings.sql).
-#}

with

source_files as (
    select * from {{ ref('stg_raw__source_files') }}
),

home_type_map as (
    select * from {{ ref('home_type_map') }}
),

home_status_map as (
    select * from {{ ref('home_status_map') }}
),

us_states as (
    select * from {{ ref('us_states') }}
),

files_to_process as (
    select source_files.file_id
    from source_files
    where
        source_files.is_loaded
        and {{ files_not_yet_in_this('source_files') }}
),

-- the new files' rows by staging's file_id index (an incremental run), not a join that
-- PostgreSQL may plan as a scan of every staged row
staged_rows as (
    select * from {{ ref('stg_raw__listing_rows') }}
    {{- only_files_to_process() }}
),

-- read twice below, in place: the street parts need only address_upper, which PostgreSQL
-- works out alone for them, and copying every row (a materialized CTE) cost more
keyed as not materialized (
    select
        staged_rows.*,
        {{ zpid_number('staged_rows.zpid_text') }} as zpid_number,
        {{ safe_cast_numeric('staged_rows.zip_code_text') }} as zip_code_number,
        substring(staged_rows.label from '(?i)zip:\s*([0-9]{5})') as zip_code_from_label,
        {{ normalize_text('staged_rows.address_text') }} as address_upper,
        {{ normalize_text('staged_rows.city_text') }} as city_from_column,
        {{ enum_key('staged_rows.state_text') }} as state_key,
        {{ enum_key('staged_rows.home_type_text') }} as home_type_key,
        {{ enum_key('staged_rows.home_status_text') }} as home_status_key
    from staged_rows
    inner join files_to_process on staged_rows.file_id = files_to_process.file_id
    {{ evaluate_once_per_row() }}  -- noqa: AM09
),

-- "123 OAK STREET" -> "123 OAK ST", each distinct street part (before the first comma) once
abbreviated_streets as (
    {{ abbreviate_street_suffixes('keyed', 'address_upper') }}
),

-- ", City, ST 12345" at the end of the address: where city, state and zip come from
-- when their own columns are empty. Each row finds its street part's abbreviation by a
-- full join kept to the rows (a street part has at least one row, so no other row is
-- added): PostgreSQL cannot run a full join as a nested loop. An incremental run allows
-- nested loops (the lateral above, the new files' probes) and estimates its new rows
-- at one, so a left join here became a nested loop that rescanned every street part
-- once per row: 980 x 490 at 100k raw rows, 1.1 s for a 1,000-row file.
addressed as (
    select
        keyed.*,
        {{ normalize_zpid('keyed.zpid_number') }} as zpid,
        {{ normalize_zip('keyed.zip_code_text', 'keyed.zip_code_number') }} as zip_code_from_column,
        abbreviated_streets.abbreviated_street,
        {{ address_tail('keyed.address_upper') }} as address_tail
    from keyed
    full join abbreviated_streets
        on split_part(keyed.address_upper, ', ', 1) = abbreviated_streets.street_part
    {{ evaluate_once_per_row() }}  -- noqa: AM09
),

normalized as (
    select
        addressed.*,
        coalesce(addressed.abbreviated_street, split_part(addressed.address_upper, ', ', 1))
        || substr(addressed.address_upper, length(split_part(addressed.address_upper, ', ', 1)) + 1)
            as address,
        home_type_map.home_type,
        home_status_map.home_status,
        coalesce(addressed.city_from_column, addressed.address_tail[1]) as city,
        coalesce(state_by_code.state_code, state_by_name.state_code) as state_from_column,
        coalesce(
            addressed.zip_code_from_column,
            addressed.address_tail[3],
            addressed.zip_code_from_label
        ) as zip_code,
        case
            when addressed.zip_code_from_column is not null then 'column'
            when addressed.address_tail[3] is not null then 'address'
            when addressed.zip_code_from_label is not null then 'label'
        end as zip_code_source
    from addressed
    left join home_type_map on addressed.home_type_key = home_type_map.raw_key
    left join home_status_map on addressed.home_status_key = home_status_map.raw_key
    left join us_states as state_by_code on addressed.state_key = state_by_code.state_code
    left join us_states as state_by_name
        on addressed.state_key = replace(state_by_name.state_name, ' ', '')
),

canonical as (
    select
        file_id,
        row_index,
        zpid,
        {%- for field in listing_fields() %}
        {%- if field.name == 'state' %}
        coalesce(state_from_column, address_tail[2]) as state,
        {%- elif field.name in ('latitude', 'longitude') %}
        trim_scale(round({{ field.name }}, 5)) as {{ field.name }},
        {%- else %}
        {{ field.name }},
        {%- endif %}
        {%- endfor %}
        zip_code_source,
        extra_columns,
        -- text was there but no canonical value came out of it
        zpid_text is not null and zpid is null as zpid_cast_failed,
        zip_code_text is not null and zip_code_from_column is null as zip_code_cast_failed,
        state_text is not null and state_from_column is null as state_cast_failed,
        home_type_text is not null and home_type is null as home_type_unmapped,
        home_status_text is not null and home_status is null as home_status_unmapped,
        datetime_cast_failed,
        price_cast_failed,
        bedrooms_cast_failed,
        bathrooms_cast_failed,
        living_area_cast_failed,
        days_on_zillow_cast_failed,
        latitude_cast_failed,
        longitude_cast_failed
    from normalized
),

final as (
    select
        *,
        -- the canonical serialization of the listing (see the data_hash docs)
        {{ listing_data_hash() }} as data_hash
    from canonical
)

select * from final
