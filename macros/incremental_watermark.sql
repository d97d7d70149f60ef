{#-
    Incremental bookkeeping for the marts that are recomputed per listing.

    int_listing_reports stamps every row it appends with `dbt_processed_at` (the dbt
    invocation's start time). Each listing-level mart remembers, in
    intermediate.incremental_watermarks, the newest stamp it has consumed; on an incremental
    run it recomputes exactly the listings (zpids) reported in rows stamped after that.
    The watermark is written by the mart's post-hook, inside the mart's own transaction, so a
    failed build leaves it where it was and the next run catches up.

    The marts' contracts stay exactly their documented columns: the bookkeeping lives beside
    them, not in them. A full refresh of a mart recomputes everything and resets its mark;
    a full refresh of int_listing_reports restamps every row, so the next incremental mart
    build recomputes every listing (correct, just not cheap).
-#}

{% macro create_incremental_watermarks_table() %}
    create schema if not exists {{ generate_schema_name('intermediate', none) }};
    create table if not exists {{ generate_schema_name('intermediate', none) }}.incremental_watermarks (
        model_name text primary key,
        processed_through timestamptz,
        updated_at timestamptz not null default now()
    );
{% endmacro %}

{#- The filter of a by-listing model's import CTEs: in an incremental run, the listings
    that new files touch (the model defines the `touched_listings` CTE with touched_zpids());
    in a full build of a model built in slices (config `listing_slices`,
    macros/listing_slices.sql), the listings of the slice in progress; nothing otherwise.
    Call it as `{{- only_listings_to_build() }}` on the line after an import CTE's
    `select * from ...`. `= any(array(...))`, not `in (select ...)`: the array is computed
    first, so the planner reads the touched listings by the zpid index instead of guessing
    the sub-query's size (it guessed 200 rows and scanned whole tables). A slice's bounds
    are read the same way, by the index. Outside a sliced build (`dbt show`, a unit test,
    the compiled SQL run by hand) the settings are empty and the bounds take in every zpid
    (a zpid is a whole number as text, normalize_zpid(), so all sort before 'z'). -#}
{% macro only_listings_to_build() -%}
    {%- if is_incremental() %}
    where zpid = any(array(select touched_listings.zpid from touched_listings))
    {%- elif config.get('listing_slices') %}
    where
        zpid between coalesce(nullif(current_setting('resi.listing_slice_first', true), ''), '')
        and coalesce(nullif(current_setting('resi.listing_slice_last', true), ''), 'z')
    {%- endif -%}
{%- endmacro %}

{#- The zpids that reports newer than this model's watermark touch. -#}
{% macro touched_zpids() %}
    select distinct reports.zpid
    from {{ ref('int_listing_reports') }} as reports
    where reports.dbt_processed_at > (
        select coalesce(max(watermarks.processed_through), '-infinity'::timestamptz)
        from {{ generate_schema_name('intermediate', none) }}.incremental_watermarks as watermarks
        where watermarks.model_name = '{{ this.schema }}.{{ this.identifier }}'
    )
    -- and the listings whose consensus moved with the source weights (consensus_weights.sql)
    union
    select moved.zpid
    from {{ generate_schema_name('intermediate', none) }}.consensus_moved_listings as moved
    where moved.moved_at > (
        select coalesce(max(watermarks.processed_through), '-infinity'::timestamptz)
        from {{ generate_schema_name('intermediate', none) }}.incremental_watermarks as watermarks
        where watermarks.model_name = '{{ this.schema }}.{{ this.identifier }}'
    )
{% endmacro %}

{#- Post-hook: this model has now consumed every report in int_listing_reports. -#}
{% macro record_incremental_watermark() %}
    insert into {{ generate_schema_name('intermediate', none) }}.incremental_watermarks
        (model_name, processed_through, updated_at)
    select '{{ this.schema }}.{{ this.identifier }}', max(dbt_processed_at), now()
    from {{ ref('int_listing_reports') }}
    on conflict (model_name) do update
    set processed_through = excluded.processed_through, updated_at = excluded.updated_at
{% endmacro %}

{#- Hours from a listing's last report to the network's newest report (2 decimals). -#}
{% macro freshness_hours(latest_submission_at, last_updated_at) -%}
    round((extract(epoch from ({{ latest_submission_at }} - {{ last_updated_at }})) / 3600)::numeric, 2)
{%- endmacro %}

