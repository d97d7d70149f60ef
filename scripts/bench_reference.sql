-- The dbt benchmark's reference (scripts/bench_dbt.py): the project's core result, one row
-- per listing with each field at the majority of the miners' latest reports, as ONE plain
-- statement straight from the loader's raw tables, for scale: how long the bare computation
-- takes on this server next to the full dbt build.
--
-- Simplified against the project (macros/majority_of_latest_reports.sql and the models up
-- to marts.unified_listings): the zpid in digits only; every field as trimmed text, the
-- "no value" markers as NULL and numbers in their canonical text (no trailing zeros), but no
-- address, zip, state, enum or coordinate normalization and no validity checks; the plain
-- majority of latest reports (ties: the most recent vote, then the smallest text), not the
-- reliability-weighted consensus method. It reads raw, not staging.stg_raw__listing_rows,
-- because that model is an incremental table the full build makes, not a view over raw.
-- The benchmark creates the schema bench_reference before and drops it after.
create table bench_reference.unified as
with

reports as (
    -- one row per row of a loaded file, at its file's server time
    select
        substring(r.zpid from '^\s*([1-9][0-9]{0,14})(?:\.0*)?(?:_zpid)?\s*$') as zpid,
        f.hotkey as miner_hotkey,
        coalesce(f.last_modified, f.loaded_at) as submitted_at,
        r.file_id,
        r.row_index,
        r.uri, r.datetime, r.label, r.price, r.address, r.bedrooms, r.bathrooms,
        r.living_area, r.home_type, r.home_status, r.days_on_zillow, r.url, r.zip_code,
        r.city, r.state, r.latitude, r.longitude
    from raw.listing_rows as r
    inner join raw.source_files as f on r.file_id = f.file_id
    where f.status = 'loaded'
),

field_reports as (
    -- one row per (listing, field, report) with a value
    select
        reports.zpid,
        reports.miner_hotkey,
        reports.submitted_at,
        reports.file_id,
        reports.row_index,
        fields.field_name,
        case
            when fields.is_number
                and cleaned.value ~ '^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$'
                then trim_scale(cleaned.value::numeric)::text
            else cleaned.value
        end as field_value
    from reports
    cross join lateral (
        values
        ('uri', false, reports.uri),
        ('datetime', false, reports.datetime),
        ('label', false, reports.label),
        ('price', true, reports.price),
        ('address', false, reports.address),
        ('bedrooms', true, reports.bedrooms),
        ('bathrooms', true, reports.bathrooms),
        ('living_area', true, reports.living_area),
        ('home_type', false, reports.home_type),
        ('home_status', false, reports.home_status),
        ('days_on_zillow', true, reports.days_on_zillow),
        ('url', false, reports.url),
        ('zip_code', false, reports.zip_code),
        ('city', false, reports.city),
        ('state', false, reports.state),
        ('latitude', true, reports.latitude),
        ('longitude', true, reports.longitude)
    ) as fields (field_name, is_number, text_value)
    cross join lateral (
        select
            case
                when lower(btrim(fields.text_value))
                    in ('', 'nan', 'none', 'null', 'nat', '<na>', 'n/a')
                    then null
                else btrim(fields.text_value)
            end as value
    ) as cleaned
    where reports.zpid is not null and cleaned.value is not null
),

latest_reports as (
    -- each miner's current vote on a field: its most recent report of it, by server time
    select distinct on (zpid, field_name, miner_hotkey)
        zpid,
        field_name,
        field_value,
        submitted_at
    from field_reports
    order by zpid, field_name, miner_hotkey, submitted_at desc, file_id desc, row_index desc
),

tallied as (
    select
        zpid,
        field_name,
        field_value,
        count(*) as miner_count,
        max(submitted_at) as last_voted_at
    from latest_reports
    group by zpid, field_name, field_value
),

winners as (
    -- the value with the most miners; ties: the most recent vote, then the smallest text
    select distinct on (zpid, field_name)
        zpid,
        field_name,
        field_value
    from tallied
    order by zpid, field_name, miner_count desc, last_voted_at desc, field_value collate "C"
)

select
    zpid,
    max(field_value) filter (where field_name = 'uri') as uri,
    max(field_value) filter (where field_name = 'datetime') as datetime,
    max(field_value) filter (where field_name = 'label') as label,
    max(field_value) filter (where field_name = 'price') as price,
    max(field_value) filter (where field_name = 'address') as address,
    max(field_value) filter (where field_name = 'bedrooms') as bedrooms,
    max(field_value) filter (where field_name = 'bathrooms') as bathrooms,
    max(field_value) filter (where field_name = 'living_area') as living_area,
    max(field_value) filter (where field_name = 'home_type') as home_type,
    max(field_value) filter (where field_name = 'home_status') as home_status,
    max(field_value) filter (where field_name = 'days_on_zillow') as days_on_zillow,
    max(field_value) filter (where field_name = 'url') as url,
    max(field_value) filter (where field_name = 'zip_code') as zip_code,
    max(field_value) filter (where field_name = 'city') as city,
    max(field_value) filter (where field_name = 'state') as state,
    max(field_value) filter (where field_name = 'latitude') as latitude,
    max(field_value) filter (where field_name = 'longitude') as longitude
from winners
group by zpid
