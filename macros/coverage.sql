{#- The body of a coverage mart's CTE: per value of the listings' `area_column` (zip_code,
    state), the distinct miners that attested any of its listings. Expects import CTEs
    `listings` (unified_listings) and `attestations` (miner_attestations).
    The (area, miner) pairs are made distinct first, by a hash of at most areas x miners
    entries, and then counted per area. count(distinct ...) sorted every attestation by
    area to count a few miners per area: a quicksort of 118 MB at 1M raw rows, and 91 MB
    of temporary files with a tenth of the memory. The select took 0.44 s against 1.35 s
    at 1M raw rows.
    The marts read `listings` in other CTEs too; declare it `not materialized`, so that
    each read is of unified_listings itself, with its table's statistics. A copy has none:
    at 10M raw rows PostgreSQL then hashed the 10M attestations to join them to the 806k
    listings, 875 MB of temporary files a mart; read in place, none, and each mart took
    5.6 to 6.0 s against 9.0 to 9.6 s. -#}
{% macro attesting_miners_by(area_column) -%}
    select
        {{ area_column }},
        count(miner_hotkey) as miners_count
    from (
        select distinct
            listings.{{ area_column }},
            attestations.miner_hotkey
        from attestations
        inner join listings on attestations.zpid = listings.zpid
        where listings.{{ area_column }} is not null
    ) as area_miners
    group by {{ area_column }}
{%- endmacro %}
