{#- Post-hook of every model and seed (dbt_project.yml): give the table just built its
    planner statistics, inside its transaction, so that the models built next on it are
    planned from its real contents. A table dbt creates has none until autovacuum gets to
    it, and PostgreSQL then guesses: external sorts to join 20-row seeds, nested loops over
    "1-row" inputs of millions. A table is analyzed when it was (re)built, not after an
    incremental run's few new rows: sampling 30,000 rows of each large table would cost
    more than the run, and where autovacuum runs it re-analyzes a table once a tenth of it
    changed. This project's PostgreSQL 15 service runs with autovacuum off: there the
    statistics are the last build's, and the by-file models vacuum themselves
    (vacuum_built_table, macros/files_not_yet_in_this.sql). Views have nothing to
    analyze: their hook renders empty, and dbt sends an empty hook nowhere. -#}
{% macro analyze_built_table() -%}
    {%- set materialized = config.get('materialized') -%}
    {%- if materialized in ('table', 'seed') -%}
        analyze {{ this }}
    {%- elif materialized == 'incremental' -%}
        do $analyze$
        begin
            if not exists (
                select 1 from pg_stats
                where schemaname = '{{ this.schema }}' and tablename = '{{ this.identifier }}'
            ) then
                analyze {{ this }};
            end if;
        end
        $analyze$
    {%- endif -%}
{%- endmacro %}
