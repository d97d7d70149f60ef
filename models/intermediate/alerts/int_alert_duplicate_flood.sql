{#- Evidence for `duplicate_flood`: every miner with at least var alert_duplicate_files_min
    loaded files byte-identical to an earlier upload, the share of such files as the
    figure, naming the miners whose uploads it copied. -#}

with

miners as (
    select * from {{ ref('int_miners_aggregated') }}
),

final as (
    select
        'duplicate_flood'::text as alert_kind,
        miner_hotkey::text as subject,
        duplicate_file_share::numeric as figure,
        first_duplicate_at::timestamptz as first_seen_at,
        (
            duplicate_files || ' of ' || files_loaded
            || ' loaded files are byte-identical to an earlier file ('
            || copied_files || ' first uploaded by another miner'
            || coalesce(': ' || copied_from_hotkeys, '') || ')'
        )::text as details
    from miners
    where duplicate_files >= {{ var('alert_duplicate_files_min') }}
)

select * from final
