{#- Post-hook of every model and seed (dbt_project.yml): refresh the planner's statistics of
    the table just built, inside its transaction, so that the models built next on it are
    planned from its real size. A table dbt creates has none until autovacuum gets to it,
    and PostgreSQL then guesses: external sorts to join 20-row seeds, nested loops over
    "1-row" inputs of millions. Views have nothing to analyze. -#}
{% macro analyze_built_table() -%}
    {%- if config.get('materialized') in ('table', 'incremental', 'seed') -%}
        analyze {{ this }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
