{#-
    The listing fields that miners vote on, in the order of the miner's
    `_create_raw_dataframe()` (zpid, the listing's key, is not voted on).

    - name:      the column name in staging, intermediate and unified_listings
    - data_type: the PostgreSQL type of the normalized value (and of the unified column)
    - scored:    whether the field counts in consensus_score and validation_score. `datetime`
                 is the miner's own scrape time: every report differs, so agreement on it
                 says nothing about the listing. It is still voted on (the unified value is
                 the rule's winner) but does not pull scores down.
    - hashed:    whether the field is part of data_hash (the listing's content; `datetime`
                 and `label` describe the scrape job, not the listing).

    Add a field here and every intermediate model and unified_listings follow.
-#}
{% macro listing_fields() %}
    {{ return([
        {'name': 'uri', 'data_type': 'text', 'scored': true, 'hashed': true},
        {'name': 'datetime', 'data_type': 'timestamptz', 'scored': false, 'hashed': false},
        {'name': 'label', 'data_type': 'text', 'scored': true, 'hashed': false},
        {'name': 'price', 'data_type': 'bigint', 'scored': true, 'hashed': true},
        {'name': 'address', 'data_type': 'text', 'scored': true, 'hashed': true},
        {'name': 'bedrooms', 'data_type': 'integer', 'scored': true, 'hashed': true},
        {'name': 'bathrooms', 'data_type': 'numeric', 'scored': true, 'hashed': true},
        {'name': 'living_area', 'data_type': 'integer', 'scored': true, 'hashed': true},
        {'name': 'home_type', 'data_type': 'text', 'scored': true, 'hashed': true},
        {'name': 'home_status', 'data_type': 'text', 'scored': true, 'hashed': true},
        {'name': 'days_on_zillow', 'data_type': 'integer', 'scored': true, 'hashed': true},
        {'name': 'url', 'data_type': 'text', 'scored': true, 'hashed': true},
        {'name': 'zip_code', 'data_type': 'text', 'scored': true, 'hashed': true},
        {'name': 'city', 'data_type': 'text', 'scored': true, 'hashed': true},
        {'name': 'state', 'data_type': 'text', 'scored': true, 'hashed': true},
        {'name': 'latitude', 'data_type': 'numeric', 'scored': true, 'hashed': true},
        {'name': 'longitude', 'data_type': 'numeric', 'scored': true, 'hashed': true},
    ]) }}
{% endmacro %}

{#- SQL list of the scored field names, for `field_name in (...)`. -#}
{% macro scored_field_names_sql() -%}
    {%- set names = [] -%}
    {%- for field in listing_fields() if field.scored -%}
        {%- do names.append("'" ~ field.name ~ "'") -%}
    {%- endfor -%}
    ({{ names | join(', ') }})
{%- endmacro %}

{#- SQL array of one expression per listing field, in listing_fields() order: the template
    with each field's name for %s, e.g. "%s_voting_sources" or "'%s'" (the names as
    text); with scored_only, the scored fields only. Several unnest()s of such arrays in
    one select list run in step: one row per field. -#}
{% macro listing_field_array(template, scored_only=false) -%}
    array[
        {%- for field in listing_fields() if field.scored or not scored_only %}
        {{ template | replace('%s', field.name) }}{{ ',' if not loop.last }}
        {%- endfor %}
    ]
{%- endmacro %}
