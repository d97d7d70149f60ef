{#- The body of a coverage mart's CTE: per value of the listings' `area_column` (zip_code,
    state), the distinct miners that attested any of its listings. Expects import CTEs
    `listings` (unified_listings) and `attestations` (miner_attestations). -#}
{% macro attesting_miners_by(area_column) -%}
    select
        listings.{{ area_column }},
        count(distinct attestations.miner_hotkey) as miners_count
    from attestations
    inner join listings on attestations.zpid = listings.zpid
    where listings.{{ area_column }} is not null
    group by listings.{{ area_column }}
{%- endmacro %}
