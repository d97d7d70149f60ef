{#- Evidence for `rejected_files`: every miner (or `(key without a hotkey)`) with a file
    the loader rejected, the number of such files as the figure. -#}

with

checked_files as (
    select * from {{ ref('int_source_files_checked') }}
    where not is_loaded
),

rejected as (
    select
        subject,
        count(*) as rejected_files,
        min(submitted_at) as first_rejected_at,
        max(reject_reason) as a_reject_reason
    from checked_files
    group by subject
),

final as (
    select
        'rejected_files'::text as alert_kind,
        subject::text as subject,
        rejected_files::numeric as figure,
        first_rejected_at::timestamptz as first_seen_at,
        (rejected_files || ' files rejected by the loader, e.g. ' || a_reject_reason)::text
            as details
    from rejected
)

select * from final
