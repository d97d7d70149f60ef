{#- Evidence for `claimed_count_mismatch`: every miner with a file whose name claims a
    record count other than the rows in the file, the number of such files as the figure. -#}

with

miners as (
    select * from {{ ref('int_miners_aggregated') }}
),

final as (
    select
        'claimed_count_mismatch'::text as alert_kind,
        miner_hotkey::text as subject,
        count_mismatch_files::numeric as figure,
        first_mismatch_at::timestamptz as first_seen_at,
        (
            count_mismatch_files
            || ' files whose name claims a record count other than the rows in the file'
        )::text as details
    from miners
    where count_mismatch_files > 0
)

select * from final
