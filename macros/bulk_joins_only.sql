{#- Pre-hook of the models that join whole tables to whole tables (no listing filter, no
    index to probe): no nested loops in this model's transaction. Their CTEs are read more
    than once, so materialized, and PostgreSQL estimates a materialized CTE's filtered
    rows blindly; an estimate of 1 row made int_coordinated_groups compare 17,499 disputed
    votes with each other one by one (306 M comparisons, 57 s at 300k raw rows). -#}
{% macro bulk_joins_only() -%}
    set local enable_nestloop = off
{%- endmacro %}
