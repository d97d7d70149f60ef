{#- The 18 listing columns of the miners' files (`_create_raw_dataframe()`), in their
    order: zpid, the listing's key, plus the voted fields of listing_fields(). What a file
    is checked against for schema drift, and what staging reads from raw.listing_rows. -#}
{% macro miner_file_fields() %}
    {%- set names = [] -%}
    {%- for field in listing_fields() -%}
        {%- do names.append(field.name) -%}
        {%- if field.name == 'label' %}{% do names.append('zpid') %}{% endif -%}
    {%- endfor -%}
    {{ return(names) }}
{% endmacro %}

{#- SQL array literal of the 18 listing column names, for schema-drift comparisons. -#}
{% macro miner_file_fields_array_sql() -%}
    array[{% for name in miner_file_fields() %}'{{ name }}'{{ ', ' if not loop.last }}{% endfor %}]::text[]
{%- endmacro %}
