{#-
    Models computed from every report (their cost follows history, not new data) that an
    incremental run refreshes only after growth: the network-wide estimates (tag
    `estimate`: int_source_reliability, int_coordinated_groups, int_copy_relations,
    miner_reliability) and the quality aggregates (tag `reporting`: miner_performance,
    network_quality_daily, the coverage marts and their daily inputs, the miners' vote
    sums). They are computed in a full build and, in an incremental run, once the raw rows
    of the loaded files have grown by var consensus_reestimate_growth (10%) since their
    last refresh; in between, a run keeps them as they are and does nothing for them (the
    incremental materialization, macros/materializations/incremental.sql, returns before
    any SQL). Growth-triggered, the total work stays proportional to the data (1 + 1/1.1 +
    1/1.1^2 + ... = 11 times the last refresh at most). intermediate.refreshes_on_growth
    remembers, per model, the raw rows of its last refresh. Set the var to 0 to refresh on
    every run (docs: reestimation).

    Such a model is tagged and replaces its whole table when it refreshes
    (macros/replace_in_place.sql):
        config(materialized='incremental', incremental_strategy='append', tags=['estimate'],
               pre_hook="{{ delete_rows_before_replacing() }}",
               post_hook="{{ record_estimate() }}")
-#}

{% macro create_estimates_table() %}
    create schema if not exists {{ generate_schema_name('intermediate', none) }};
    create table if not exists {{ generate_schema_name('intermediate', none) }}.refreshes_on_growth (
        model_name text primary key,
        estimated_over_rows bigint not null,
        estimated_at timestamptz not null
    );
{% endmacro %}

{#- The raw rows of the loaded files, now. -#}
{% macro loaded_raw_rows_sql() -%}
    select coalesce(sum(row_count), 0) from {{ ref('stg_raw__source_files') }} where is_loaded
{%- endmacro %}

{#- Whether this model is refreshed on growth (tag `estimate` or `reporting`). -#}
{% macro is_refreshed_on_growth() -%}
    {{ return('estimate' in config.get('tags', []) or 'reporting' in config.get('tags', [])) }}
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
                from {{ generate_schema_name('intermediate', none) }}.refreshes_on_growth
                where model_name = '{{ this.schema }}.{{ this.identifier }}'
            ), 0)
    {%- endset -%}
    {{ return(run_query(query).columns[0].values()[0]) }}
{% endmacro %}

{#- Post-hook: remember the rows this estimate was made over. It runs only when the
    estimate was made: the incremental materialization skips a model that is not due,
    hooks included. -#}
{% macro record_estimate() -%}
    insert into {{ generate_schema_name('intermediate', none) }}.refreshes_on_growth
        (model_name, estimated_over_rows, estimated_at)
    select '{{ this.schema }}.{{ this.identifier }}', ({{ loaded_raw_rows_sql() }}), now()
    on conflict (model_name) do update
    set
        estimated_over_rows = excluded.estimated_over_rows,
        estimated_at = excluded.estimated_at
{%- endmacro %}
