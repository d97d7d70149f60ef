{#-
    The network-wide estimates (tag `estimate`: int_source_reliability,
    int_coordinated_groups, int_copy_relations, miner_reliability) are computed from every
    report, so their cost follows history, not new data. They are re-estimated in a full
    build and, in an incremental run, once the raw rows of the loaded files have grown by
    var consensus_reestimate_growth (10%) since their last estimate; in between, a run
    keeps them as they are and costs nothing there. Growth-triggered, the total work of
    re-estimating stays proportional to the data (1 + 1/1.1 + 1/1.1^2 + ... = 11 times
    the final estimate at most). intermediate.consensus_estimates remembers, per model,
    the raw rows of its last estimate. Set the var to 0 to re-estimate on every run.

    In an estimate model:
        config(materialized='incremental', incremental_strategy='append', tags=['estimate'],
               pre_hook="{{ clear_for_reestimate() }}", post_hook="{{ record_estimate() }}")
        {%- if not reestimation_due() %} select * from {{ this }} where false
        {%- else %} ...the estimate... {%- endif %}
-#}

{% macro create_estimates_table() %}
    create schema if not exists {{ generate_schema_name('intermediate', none) }};
    create table if not exists {{ generate_schema_name('intermediate', none) }}.consensus_estimates (
        model_name text primary key,
        estimated_over_rows bigint not null,
        estimated_at timestamptz not null
    );
{% endmacro %}

{#- The raw rows of the loaded files, now. -#}
{% macro loaded_raw_rows_sql() -%}
    select coalesce(sum(row_count), 0) from {{ ref('stg_raw__source_files') }} where is_loaded
{%- endmacro %}

{#- Whether this estimate model estimates in this run: always in a full build; in an
    incremental run, once the loaded raw rows exceed its last estimate's by the growth var. -#}
{% macro reestimation_due() %}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set query -%}
        select ({{ loaded_raw_rows_sql() }})
            >= (1 + {{ var('consensus_reestimate_growth') }}) * coalesce((
                select estimated_over_rows
                from {{ generate_schema_name('intermediate', none) }}.consensus_estimates
                where model_name = '{{ this.schema }}.{{ this.identifier }}'
            ), 0)
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{% endmacro %}

{#- Pre-hook: an incremental re-estimate replaces the whole estimate. -#}
{% macro clear_for_reestimate() -%}
    {%- if is_incremental() and reestimation_due() -%}
        delete from {{ this }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- Post-hook: remember the rows this estimate was made over (only when it was made). -#}
{% macro record_estimate() -%}
    {%- if reestimation_due() -%}
        insert into {{ generate_schema_name('intermediate', none) }}.consensus_estimates
            (model_name, estimated_over_rows, estimated_at)
        select '{{ this.schema }}.{{ this.identifier }}', ({{ loaded_raw_rows_sql() }}), now()
        on conflict (model_name) do update
        set
            estimated_over_rows = excluded.estimated_over_rows,
            estimated_at = excluded.estimated_at
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
