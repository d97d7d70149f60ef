{#-
    Full builds in listing slices.

    The models that are incremental by listing (config `listing_slices=true`) compute every
    listing on its own: an incremental run recomputes the listings its new reports touch.
    A full build of one of them computes all listings at once, and its sorts, window
    partitions and hash tables then hold the whole network: at 1M raw rows they outgrew
    `work_mem` and wrote 1.6 GB of temporary files, and at 10M rows a single model wrote
    15 GB. Built in slices of listings, each statement holds one slice, so the memory a
    build needs follows the slice, not the network.

    A full build of such a model splits the listings of int_listing_reports (in zpid
    order) into ceil(reports / var `listing_slice_reports`) slices of as many listings
    each. It creates the table from the first slice and inserts the others, one statement
    each. The slice in progress is two settings of the transaction
    (`resi.listing_slice_first`, `resi.listing_slice_last`) that only_listings_to_build()
    reads, so the compiled SQL is the same for every slice, and PostgreSQL reads each
    slice's rows by the zpid indexes. With one slice (a small network) the build is a
    single `create table as`, as for any model. Incremental runs are not sliced.
-#}

{#- Overrides dbt's macro for every table build: the models with `listing_slices` are
    built slice by slice; everything else (and every temporary table) as dbt builds it. -#}
{% macro postgres__get_create_table_as_sql(temporary, relation, sql) -%}
    {%- set slices = [] if temporary or not config.get('listing_slices') else listing_slices() -%}
    {%- if slices | length < 2 -%}
        {{ create_table_as(temporary, relation, sql) }}
    {%- else -%}
        {%- for slice in slices %}
        select
            set_config('resi.listing_slice_first', '{{ slice[0] | replace("'", "''") }}', true),
            set_config('resi.listing_slice_last', '{{ slice[1] | replace("'", "''") }}', true);
        {% if loop.first -%}
        {{ create_table_as(false, relation, sql) }}
        {%- else -%}
        {%- if config.get('contract').enforced %}
        insert into {{ relation }} ({{ adapter.dispatch('get_column_names', 'dbt')() }})
        {{ get_select_subquery(sql) }};
        {%- else %}
        insert into {{ relation }} (
            {{ sql }}
        );
        {%- endif %}
        {%- endif %}
        {%- endfor %}
    {%- endif -%}
{%- endmacro %}

{#- The (first zpid, last zpid) of each slice of the listings in int_listing_reports, in
    zpid order; one slice per var `listing_slice_reports` reports (their count from the
    table's statistics, analyzed after every build). -#}
{% macro listing_slices() -%}
    {%- set reports = ref('int_listing_reports') -%}
    {%- set count_sql -%}
        select ceil(greatest(reltuples, 0) / {{ var('listing_slice_reports') }})::integer
        from pg_class where oid = '{{ reports }}'::regclass
    {%- endset -%}
    {%- set slice_count = run_query(count_sql).columns[0].values()[0] if execute else 1 -%}
    {%- if slice_count < 2 -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set bounds_sql -%}
        select min(zpid) as first_zpid, max(zpid) as last_zpid
        from (
            select zpid, ntile({{ slice_count }}) over (order by zpid) as slice
            from (select distinct zpid from {{ reports }}) as listings
        ) as sliced
        group by slice
        order by slice
    {%- endset -%}
    {{ return(run_query(bounds_sql).rows | map('list') | list) }}
{%- endmacro %}
