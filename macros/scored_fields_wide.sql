{#-
    Agreement with the consensus, one row per report instead of one per field report.
    Comparing a report's own row with its listing's consensus row, field by field, gives
    the same counts as joining the 16 field reports of every report to the consensus
    values, without unpivoting and sorting them (int_report_attestations,
    int_miner_listing_agreement).
-#}

{#- A select of one row per listing of `listing_consensus`: zpid and the consensus value
    (canonical text) of each scored field, null where the field has none. There is exactly
    one consensus value per (zpid, field_name) (tested on listing_consensus).
    `with_contested`: also `<field>_is_contested`, whether the field is contested (null
    where it has no consensus value). -#}
{% macro scored_consensus_by_listing(listing_consensus, with_contested=false) %}
    select
        {%- for field in listing_fields() if field.scored %}
        {%- if with_contested %}
        bool_or(is_contested) filter (where field_name = '{{ field.name }}')
            as {{ field.name }}_is_contested,
        {%- endif %}
        max(field_value) filter (where field_name = '{{ field.name }}') as {{ field.name }},
        {%- endfor %}
        zpid
    from {{ listing_consensus }}
    where is_consensus
    group by zpid
{% endmacro %}

{#- Of the scored fields, how many have a value in `values` and a consensus value in
    `consensus` (relations with a column per scored field), as one integer sum. A typed
    value is null exactly when its canonical text is, so the columns may be either. -#}
{% macro scored_fields_compared(values, consensus) -%}
    {%- set terms = [] -%}
    {%- for field in listing_fields() if field.scored -%}
        {%- do terms.append(
            '(' ~ values ~ '.' ~ field.name ~ ' is not null and '
            ~ consensus ~ '.' ~ field.name ~ ' is not null)::integer'
        ) -%}
    {%- endfor -%}
    ({{ terms | join('\n    + ') }})
{%- endmacro %}

{#- Of the scored fields, how many values in `values` equal the consensus value in
    `consensus`, as one integer sum. `values_are_canonical`: false when `values` holds the
    typed report columns (int_listing_reports), made canonical text for the comparison. -#}
{% macro scored_fields_agreeing(values, consensus, values_are_canonical=true) -%}
    {%- set terms = [] -%}
    {%- for field in listing_fields() if field.scored -%}
        {%- set value = values ~ '.' ~ field.name if values_are_canonical
            else canonical_text(values ~ '.' ~ field.name, field.data_type) -%}
        {%- do terms.append(
            '((' ~ value ~ ' = ' ~ consensus ~ '.' ~ field.name ~ ') is true)::integer'
        ) -%}
    {%- endfor -%}
    ({{ terms | join('\n    + ') }})
{%- endmacro %}

{#- The method's votes of a report against its listing's consensus, as three integer sums
    over the scored fields: `votes` holds the report's current votes (a column per field,
    null where it holds none: int_consensus_votes_by_report), `consensus` the consensus
    values with `<field>_is_contested` (scored_consensus_by_listing(with_contested=true)).
    Counts a vote only where its field has a consensus value, as a join of the votes to the
    consensus values would (method_votes is scored_fields_compared()). -#}
{% macro scored_votes_compared(votes, consensus) -%}
    {%- set contested, settled_agreeing = [], [] -%}
    {%- for field in listing_fields() if field.scored -%}
        {%- set vote = votes ~ '.' ~ field.name -%}
        {%- set published = consensus ~ '.' ~ field.name -%}
        {%- set is_contested = consensus ~ '.' ~ field.name ~ '_is_contested' -%}
        {%- do contested.append(
            '(' ~ vote ~ ' is not null and ' ~ published ~ ' is not null and '
            ~ is_contested ~ ')::integer'
        ) -%}
        {%- do settled_agreeing.append(
            '((' ~ vote ~ ' = ' ~ published ~ ' and not ' ~ is_contested ~ ') is true)::integer'
        ) -%}
    {%- endfor -%}
    {{ scored_fields_compared(votes, consensus) }} as method_votes,
    ({{ contested | join('\n    + ') }}) as contested_votes,
    ({{ settled_agreeing | join('\n    + ') }}) as settled_agreeing_votes
{%- endmacro %}
