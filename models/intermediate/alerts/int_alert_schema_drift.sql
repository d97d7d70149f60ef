{#- Evidence for `schema_drift`: every miner with a loaded file whose columns differ from
    the 18 listing columns, the number of such files as the figure, naming the missing and
    the extra columns. -#}

with

miners as (
    select * from {{ ref('int_miners_aggregated') }}
),

final as (
    select
        'schema_drift'::text as alert_kind,
        miner_hotkey::text as subject,
        files_with_schema_drift::numeric as figure,
        first_schema_drift_at::timestamptz as first_seen_at,
        (
            files_with_schema_drift || ' of ' || files_loaded
            || ' loaded files differ from the 18 listing columns'
            || coalesce('; missing: ' || missing_column_names, '')
            || coalesce('; extra: ' || extra_column_names, '')
        )::text as details
    from miners
    where files_with_schema_drift > 0
)

select * from final
