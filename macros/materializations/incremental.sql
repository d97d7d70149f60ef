{#-
    dbt's incremental materialization, with one addition: a model refreshed on growth (tag
    `estimate` or `reporting`, macros/estimates.sql) that is not due for a refresh is kept
    as it is, and the run does nothing else for it: no temporary table, no column checks,
    no hooks. Every other incremental model, and a due or full-refresh run of these, goes
    to dbt's own materialization unchanged.
-#}
{% materialization incremental, adapter='postgres' -%}
    {%- if is_refreshed_on_growth() and is_incremental() and not reestimation_due() -%}
        {%- call statement('main') -%}
            select 'kept until the loaded raw rows grow by {{ var("consensus_reestimate_growth") }}'
        {%- endcall -%}
        {{ return({'relations': [this.incorporate(type='table')]}) }}
    {%- endif -%}
    {{ return(materialization_incremental_default()) }}
{%- endmaterialization %}
