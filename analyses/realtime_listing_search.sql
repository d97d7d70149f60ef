{#-
    The "real-time query" of the seed design, as SQL to read or paste into psql. To run
    a search, use `resi search` or the API's GET /listings: the query module
    (resi/serving/queries.py) binds its parameters, pages through all matches and says
    how many there are. This file stays as the SQL reference (and `make bench-dbt` times
    it): listings that match a search (statuses, price range, zip codes, minimum consensus
    score), newest first, each with its attestation summary and the miners that attest it.

    Parameters are dbt vars (defaults in dbt_project.yml), e.g.
        resi dbt compile -s realtime_listing_search \
            --vars '{search_zip_codes: ["77494", "08701"], search_min_price: 200000}'
    Each var is checked at compile time: statuses from the accepted list, prices and the
    score as numbers, zip codes as quoted 5-digit strings (an unquoted 06510 is a YAML
    number, refused), so nothing but a value reaches the SQL. An empty search_zip_codes
    means every zip code; search_limit caps the rows (count them with `resi search`).
-#}

{%- set statuses = var('search_home_statuses') -%}
{%- set zip_codes = var('search_zip_codes') -%}
{%- set accepted = ['FOR_SALE', 'PENDING', 'SOLD', 'FOR_RENT', 'OFF_MARKET'] -%}
{%- for name in ['search_min_price', 'search_max_price', 'search_min_consensus_score',
                'search_limit'] if var(name) is not number -%}
    {{ exceptions.raise_compiler_error(name ~ ": " ~ var(name) ~ " is not a number") }}
{%- endfor -%}
{%- for status in statuses if status not in accepted -%}
    {{ exceptions.raise_compiler_error("search_home_statuses: unknown status " ~ status) }}
{%- endfor -%}
{%- for zip_code in zip_codes
    if zip_code is not string or not modules.re.match('^[0-9]{5}$', zip_code) -%}
    {{ exceptions.raise_compiler_error(
        "search_zip_codes: " ~ zip_code ~ " is not a quoted 5-digit zip code") }}
{%- endfor -%}

{#- the search's filters but the zip codes, on one listing -#}
{%- set listing_filters = (
    "home_status in ('" ~ statuses | join("', '") ~ "')"
    ~ " and price between " ~ (var('search_min_price') | int)
    ~ " and " ~ (var('search_max_price') | int)
    ~ " and consensus_score >= " ~ (var('search_min_consensus_score') | float)
) -%}

with

{% if zip_codes | length > 0 -%}
-- each searched zip code's newest matches, read newest first from the (zip_code,
-- last_updated_at) index until the limit, then merged: the search never reads every
-- listing of a zip code to keep its newest few
searched_zip_codes as (
    select distinct searched.zip_code
    from unnest(array[
        {%- for zip_code in zip_codes -%}
        '{{ zip_code }}'{{ ', ' if not loop.last }}
        {%- endfor -%}
    ]::text []) as searched (zip_code)
),

matching_listings as (
    select listings.*
    from searched_zip_codes
    cross join
        lateral (
            select *
            from {{ ref('unified_listings') }}
            where
                zip_code = searched_zip_codes.zip_code
                and {{ listing_filters }}
            order by last_updated_at desc, zpid asc
            limit {{ var('search_limit') | int }}
        ) as listings
    order by listings.last_updated_at desc, listings.zpid asc
    limit {{ var('search_limit') | int }}
)
{%- else -%}
matching_listings as (
    select *
    from {{ ref('unified_listings') }}
    where {{ listing_filters }}
    order by last_updated_at desc, zpid asc
    limit {{ var('search_limit') | int }}
)
{%- endif %}

select
    matching_listings.zpid,
    matching_listings.address,
    matching_listings.city,
    matching_listings.state,
    matching_listings.zip_code,
    matching_listings.price,
    matching_listings.bedrooms,
    matching_listings.bathrooms,
    matching_listings.living_area,
    matching_listings.home_type,
    matching_listings.home_status,
    matching_listings.latitude,
    matching_listings.longitude,
    matching_listings.consensus_score,
    matching_listings.unique_miners_count,
    matching_listings.last_updated_at,
    matching_listings.data_freshness_hours,
    attestation_summary.attestation_count,
    attestation_summary.validated_count,
    attestation_summary.duplicate_count,
    attestation_summary.mean_validation_score,
    attestation_summary.first_attested_at,
    attestation_summary.last_attested_at,
    attestation_summary.attesting_miners
from matching_listings
cross join
    lateral (
        select
            count(*) as attestation_count,
            count(*) filter (where attestations.is_validated) as validated_count,
            count(*) filter (where attestations.is_duplicate) as duplicate_count,
            round(avg(attestations.validation_score), 3) as mean_validation_score,
            min(attestations.submission_timestamp) as first_attested_at,
            max(attestations.submission_timestamp) as last_attested_at,
            array_agg(distinct attestations.miner_hotkey) as attesting_miners
        from {{ ref('miner_attestations') }} as attestations
        where attestations.zpid = matching_listings.zpid
    ) as attestation_summary
order by matching_listings.last_updated_at desc, matching_listings.zpid asc
