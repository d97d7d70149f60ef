{#- Schemas are named as configured (staging, intermediate, marts), not prefixed with the
    target schema: analysts query `marts.unified_listings` on every database. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
