{#- Evidence for `stale_source`: the hours since the loader last recorded a file, at query
    time (a view over the manifest: the same check as `dbt source freshness`). -#}

with

source_files as (
    select * from {{ ref('stg_raw__source_files') }}
),

latest_load as (
    select
        max(loaded_at) as last_loaded_at,
        extract(epoch from now() - max(loaded_at)) / 3600 as hours_since_load
    from source_files
),

final as (
    select
        'stale_source'::text as alert_kind,
        'raw.source_files'::text as subject,
        round(hours_since_load::numeric, 2) as figure,
        last_loaded_at::timestamptz as first_seen_at,
        (
            'no file loaded for ' || round(hours_since_load::numeric, 1) || ' h (last at '
            || last_loaded_at || ')'
        )::text as details
    from latest_load
    where last_loaded_at is not null
)

select * from final
