{{
    config(
        materialized='incremental',
        pre_hook="set local work_mem = '{{ var('heavy_model_work_mem') }}'",
        unique_key=['file_id', 'row_index'],
        incremental_strategy='append',
        indexes=[
            {'columns': ['file_id', 'row_index'], 'unique': true},
        ],
    )
}}

{#-
    One row per raw listing row: every value safely cast (bad text -> NULL plus a
    `*_cast_failed` flag), normalized to the canonical forms, flagged for validity, and
    hashed. Incremental by file: each run adds the rows of loaded files not yet here.
-#}

with

source_files as (
    select * from {{ source('raw', 'source_files') }}
),

listing_rows as (
    select * from {{ source('raw', 'listing_rows') }}
),

home_type_map as (
    select * from {{ ref('home_type_map') }}
),

home_status_map as (
    select * from {{ ref('home_status_map') }}
),

street_suffixes as (
    select * from {{ ref('street_suffixes') }}
),

us_states as (
    select * from {{ ref('us_states') }}
),

state_zip_ranges as (
    select * from {{ ref('state_zip_ranges') }}
),

files_to_process as (
    select source_files.file_id
    from source_files
    where
        source_files.status = 'loaded'
    {% if is_incremental() -%}
    and not exists (
        select 1 from {{ this }} as processed
        where processed.file_id = source_files.file_id
    )
    {%- endif %}
),

-- "no value" markers ('', 'NaN', 'None', ...) become NULL; everything else is trimmed
cleaned as (
    select
        listing_rows.file_id,
        listing_rows.row_index,
        {{ null_if_missing('listing_rows.uri') }} as uri,
        {{ null_if_missing('listing_rows.datetime') }} as datetime_text,
        {{ null_if_missing('listing_rows.label') }} as label,
        {{ null_if_missing('listing_rows.zpid') }} as zpid_text,
        {{ null_if_missing('listing_rows.price') }} as price_text,
        {{ null_if_missing('listing_rows.address') }} as address_text,
        {{ null_if_missing('listing_rows.bedrooms') }} as bedrooms_text,
        {{ null_if_missing('listing_rows.bathrooms') }} as bathrooms_text,
        {{ null_if_missing('listing_rows.living_area') }} as living_area_text,
        {{ null_if_missing('listing_rows.home_type') }} as home_type_text,
        {{ null_if_missing('listing_rows.home_status') }} as home_status_text,
        {{ null_if_missing('listing_rows.days_on_zillow') }} as days_on_zillow_text,
        {{ null_if_missing('listing_rows.url') }} as url,
        {{ null_if_missing('listing_rows.zip_code') }} as zip_code_text,
        {{ null_if_missing('listing_rows.city') }} as city_text,
        {{ null_if_missing('listing_rows.state') }} as state_text,
        {{ null_if_missing('listing_rows.latitude') }} as latitude_text,
        {{ null_if_missing('listing_rows.longitude') }} as longitude_text,
        listing_rows.extra_columns
    from listing_rows
    inner join files_to_process on listing_rows.file_id = files_to_process.file_id
),

-- safe casts, each evaluated once per row (the CTE is materialized)
typed as materialized (
    select
        *,
        {{ normalize_zpid('zpid_text') }} as zpid,
        {{ safe_cast_timestamptz('datetime_text') }} as datetime,
        {{ safe_cast_numeric('price_text') }} as price_numeric,
        {{ safe_cast_numeric('bedrooms_text') }} as bedrooms_numeric,
        {{ safe_cast_numeric('bathrooms_text') }} as bathrooms_numeric,
        {{ safe_cast_numeric('living_area_text') }} as living_area_numeric,
        {{ safe_cast_numeric('days_on_zillow_text') }} as days_on_zillow_numeric,
        {{ safe_cast_numeric('latitude_text') }} as latitude_numeric,
        {{ safe_cast_numeric('longitude_text') }} as longitude_numeric,
        {{ normalize_zip('zip_code_text') }} as zip_code_from_column,
        substring(label from '(?i)zip:\s*([0-9]{5})') as zip_code_from_label,
        {{ normalize_text('address_text') }} as address_upper,
        {{ normalize_text('city_text') }} as city_from_column,
        {{ enum_key('state_text') }} as state_key,
        {{ enum_key('home_type_text') }} as home_type_key,
        {{ enum_key('home_status_text') }} as home_status_key
    from cleaned
),

-- each distinct street part (before the first comma) once: "123 OAK STREET"
street_parts as (
    select distinct split_part(address_upper, ', ', 1) as street_part
    from typed
    where address_upper is not null
),

-- the suffix to abbreviate: the last word after the house number that the street_suffixes
-- seed knows ('STREET', 'ST.'), so "1 COURT STREET APT 4" becomes "1 COURT ST APT 4"
street_suffix_words as (
    select distinct on (street_parts.street_part)
        street_parts.street_part,
        words.word_position as suffix_position,
        street_suffixes.abbreviation
    from street_parts
    cross join
        lateral
        unnest(string_to_array(street_parts.street_part, ' '))
        with ordinality as words (word, word_position)
    inner join street_suffixes on rtrim(words.word, '.') = street_suffixes.suffix_word
    where words.word_position > 1
    order by street_parts.street_part asc, words.word_position desc
),

abbreviated_streets as (
    select
        street_part,
        array_to_string(
            (string_to_array(street_part, ' '))[1:suffix_position - 1]
            || abbreviation
            || (string_to_array(street_part, ' '))[suffix_position + 1:],
            ' '
        ) as abbreviated_street
    from street_suffix_words
),

addressed as (
    select
        typed.*,
        coalesce(
            abbreviated_streets.abbreviated_street, split_part(typed.address_upper, ', ', 1)
        )
        || substr(
            typed.address_upper, length(split_part(typed.address_upper, ', ', 1)) + 1
        ) as address
    from typed
    left join abbreviated_streets
        on split_part(typed.address_upper, ', ', 1) = abbreviated_streets.street_part
),

-- ", City, ST 12345" at the end of the address: where city, state and zip come from
-- when their own columns are empty
address_tails as (
    select
        *,
        regexp_match(
            address, ', ([^,]+), ([A-Z]{2}) ([0-9]{5})(?:-?[0-9]{4})?$'
        ) as address_tail
    from addressed
),

normalized as (
    select
        address_tails.*,
        {{ numeric_to_integer('address_tails.price_numeric', 'bigint', round=true) }} as price,
        {{ numeric_to_integer('address_tails.bedrooms_numeric') }} as bedrooms,
        trim_scale(address_tails.bathrooms_numeric) as bathrooms,
        {{ numeric_to_integer('address_tails.living_area_numeric', round=true) }} as living_area,
        {{ numeric_to_integer('address_tails.days_on_zillow_numeric') }} as days_on_zillow,
        trim_scale(round(address_tails.latitude_numeric, 5)) as latitude,
        trim_scale(round(address_tails.longitude_numeric, 5)) as longitude,
        home_type_map.home_type,
        home_status_map.home_status,
        coalesce(address_tails.city_from_column, address_tails.address_tail[1]) as city,
        coalesce(state_by_code.state_code, state_by_name.state_code) as state_from_column,
        coalesce(
            state_by_code.state_code,
            state_by_name.state_code,
            address_tails.address_tail[2]
        ) as state,
        coalesce(
            address_tails.zip_code_from_column,
            address_tails.address_tail[3],
            address_tails.zip_code_from_label
        ) as zip_code,
        case
            when address_tails.zip_code_from_column is not null then 'column'
            when address_tails.address_tail[3] is not null then 'address'
            when address_tails.zip_code_from_label is not null then 'label'
        end as zip_code_source
    from address_tails
    left join home_type_map on address_tails.home_type_key = home_type_map.raw_key
    left join home_status_map on address_tails.home_status_key = home_status_map.raw_key
    left join us_states as state_by_code on address_tails.state_key = state_by_code.state_code
    left join us_states as state_by_name
        on address_tails.state_key = replace(state_by_name.state_name, ' ', '')
),

flagged as (
    select
        normalized.*,
        state_zip_ranges.state_code is not null as zip_in_state_range,
        -- text was there but no value came out of it
        normalized.zpid_text is not null and normalized.zpid is null as zpid_cast_failed,
        normalized.datetime_text is not null and normalized.datetime is null
            as datetime_cast_failed,
        normalized.price_text is not null and normalized.price is null as price_cast_failed,
        normalized.bedrooms_text is not null and normalized.bedrooms is null
            as bedrooms_cast_failed,
        normalized.bathrooms_text is not null and normalized.bathrooms is null
            as bathrooms_cast_failed,
        normalized.living_area_text is not null and normalized.living_area is null
            as living_area_cast_failed,
        normalized.days_on_zillow_text is not null and normalized.days_on_zillow is null
            as days_on_zillow_cast_failed,
        normalized.latitude_text is not null and normalized.latitude is null
            as latitude_cast_failed,
        normalized.longitude_text is not null and normalized.longitude is null
            as longitude_cast_failed,
        normalized.zip_code_text is not null and normalized.zip_code_from_column is null
            as zip_code_cast_failed,
        normalized.state_text is not null and normalized.state_from_column is null
            as state_cast_failed,
        normalized.home_type_text is not null and normalized.home_type is null
            as home_type_unmapped,
        normalized.home_status_text is not null and normalized.home_status is null
            as home_status_unmapped
    from normalized
    left join state_zip_ranges
        on
            normalized.state = state_zip_ranges.state_code
            and normalized.zip_code between state_zip_ranges.zip_from and state_zip_ranges.zip_to
),

validated as (
    select
        *,
        {{ is_valid_zpid('zpid') }} as is_zpid_valid,
        coalesce(
            price between {{ var('price_min_dollars') }} and {{ var('price_max_dollars') }}, true
        ) as is_price_valid,
        coalesce(bedrooms between {{ var('rooms_min') }} and {{ var('rooms_max') }}, true)
            as is_bedrooms_valid,
        coalesce(bathrooms between {{ var('rooms_min') }} and {{ var('rooms_max') }}, true)
            as is_bathrooms_valid,
        coalesce(living_area > 0, true) as is_living_area_valid,
        coalesce(latitude between -90 and 90, true) as is_latitude_valid,
        coalesce(longitude between -180 and 180, true) as is_longitude_valid,
        case
            when zip_code is null or state is null then true
            else zip_in_state_range
        end as is_zip_state_consistent,
        (
            zpid_cast_failed or datetime_cast_failed or price_cast_failed
            or bedrooms_cast_failed or bathrooms_cast_failed or living_area_cast_failed
            or days_on_zillow_cast_failed or latitude_cast_failed or longitude_cast_failed
            or zip_code_cast_failed or state_cast_failed or home_type_unmapped
            or home_status_unmapped
        ) as has_cast_failure
    from flagged
),

final as (
    select
        file_id,
        row_index,
        zpid,
        uri,
        datetime,
        label,
        price,
        address,
        bedrooms,
        bathrooms,
        living_area,
        home_type,
        home_status,
        days_on_zillow,
        url,
        zip_code,
        city,
        state,
        latitude,
        longitude,
        zip_code_source,
        extra_columns,
        -- the canonical serialization of the listing (see the model's docs)
        encode(sha256(convert_to(jsonb_build_array(
            zpid
            {%- for field in listing_fields() if field.hashed %}
            ,
            {{ canonical_text(field.name, field.data_type) }}
            
            {%- endfor %}
        )::text, 'UTF8')), 'hex') as data_hash,
        zpid_cast_failed,
        datetime_cast_failed,
        price_cast_failed,
        bedrooms_cast_failed,
        bathrooms_cast_failed,
        living_area_cast_failed,
        days_on_zillow_cast_failed,
        latitude_cast_failed,
        longitude_cast_failed,
        zip_code_cast_failed,
        state_cast_failed,
        home_type_unmapped,
        home_status_unmapped,
        has_cast_failure,
        is_zpid_valid,
        is_price_valid,
        is_bedrooms_valid,
        is_bathrooms_valid,
        is_living_area_valid,
        is_latitude_valid,
        is_longitude_valid,
        is_zip_state_consistent,
        (
            is_zpid_valid and is_price_valid and is_bedrooms_valid and is_bathrooms_valid
            and is_living_area_valid and is_latitude_valid and is_longitude_valid
            and is_zip_state_consistent and not has_cast_failure
        ) as is_valid
    from validated
)

select * from final
