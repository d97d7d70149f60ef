{#-
    Every unified value is the is_consensus value in listing_consensus, and every
    consensus value is in unified_listings: the two marts never disagree.
    Returns the (zpid, field) pairs where they do.
-#}
with

unified_listings as (
    select * from {{ ref('unified_listings') }}
),

consensus_values as (
    select * from {{ ref('listing_consensus') }}
    where is_consensus
),

unified_values as (
    select
        unified_listings.zpid,
        field_pairs.field_name,
        field_pairs.field_value
    from unified_listings
    cross join lateral (
        values
        {%- for field in listing_fields() %}
            (
                '{{ field.name }}',
                {{ canonical_text('unified_listings.' ~ field.name, field.data_type) }}
            ){{ ',' if not loop.last }}
        {%- endfor %}
    ) as field_pairs (field_name, field_value)
    where field_pairs.field_value is not null
)

select
    coalesce(unified_values.zpid, consensus_values.zpid) as zpid,
    coalesce(unified_values.field_name, consensus_values.field_name) as field_name,
    unified_values.field_value as unified_value,
    consensus_values.field_value as consensus_value
from unified_values
full outer join consensus_values
    on
        unified_values.zpid = consensus_values.zpid
        and unified_values.field_name = consensus_values.field_name
where unified_values.field_value is distinct from consensus_values.field_value
