{#-
    Agreement with the consensus, one row per report instead of one per field report.
    Comparing a report's own row with its listing's consensus row, field by field, gives
    the same counts as joining the 16 field reports of every report to the consensus
    values, without unpivoting and sorting them (miner_attestations,
    int_miner_listing_agreement).
-#}

{#- A select of one row per listing of `listing_consensus`: zpid and the consensus value
    (canonical text) of each scored field, null where the field has none. There is exactly
    one consensus value per (zpid, field_name) (tested on listing_consensus). -#}
{% macro scored_consensus_by_listing(listing_consensus) %}
    select
        zpid,
        {%- for field in listing_fields() if field.scored %}
        max(field_value) filter (where field_name = '{{ field.name }}') as {{ field.name }}
        {{- ',' if not loop.last }}
        {%- endfor %}
    from {{ listing_consensus }}
    where is_consensus
    group by zpid
{% endmacro %}

{#- Of the scored fields: how many have a value in `values` and a consensus value in
    `consensus` (both relations with one canonical-text column per scored field), and how
    many of those are equal. `values_are_canonical`: false when `values` holds the typed
    report columns (int_listing_reports), to be made canonical text first. -#}
{% macro scored_fields_compared(values, consensus, values_are_canonical=true) -%}
    {%- for field in listing_fields() if field.scored %}
    {%- set value = values ~ '.' ~ field.name if values_are_canonical
        else canonical_text(values ~ '.' ~ field.name, field.data_type) %}
    + ({{ value }} is not null and {{ consensus }}.{{ field.name }} is not null)::integer
    {%- endfor %}
{%- endmacro %}

{% macro scored_fields_agreeing(values, consensus, values_are_canonical=true) -%}
    {%- for field in listing_fields() if field.scored %}
    {%- set value = values ~ '.' ~ field.name if values_are_canonical
        else canonical_text(values ~ '.' ~ field.name, field.data_type) %}
    + (({{ value }} = {{ consensus }}.{{ field.name }}) is true)::integer
    {%- endfor %}
{%- endmacro %}
