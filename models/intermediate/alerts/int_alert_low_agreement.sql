{#- Evidence for `low_agreement`: every miner with enough current votes (var
    alert_agreement_min_votes), its agreement ratio as the figure. -#}

with

miners as (
    select * from {{ ref('int_miners_aggregated') }}
),

final as (
    select
        'low_agreement'::text as alert_kind,
        miner_hotkey::text as subject,
        agreement_ratio::numeric as figure,
        first_submission_at::timestamptz as first_seen_at,
        (
            agreeing_votes || ' of ' || field_votes
            || ' current field votes agree with the consensus'
        )::text as details
    from miners
    where field_votes >= {{ var('alert_agreement_min_votes') }}
)

select * from final
