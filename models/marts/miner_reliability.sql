{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        tags=['estimate'],
        on_schema_change='fail',
        pre_hook="{{ delete_rows_before_replacing() }}",
        post_hook="{{ record_estimate() }}",
    )
}}

{#-
    One row per miner hotkey: how far its values can be trusted and how independent it is.
    Reliability comes from the consensus method's own estimate (int_source_reliability,
    per source and field); copies and re-uploads from int_report_origins; the coordinated
    group from int_coordinated_groups; contested and settled agreement from the hotkey's
    current votes against listing_consensus, summed per listing by
    int_miner_listing_agreement. A network-wide estimate like the weights it reports:
    re-estimated when the data has grown (macros/estimates.sql).
-#}
with

report_origins as (
    select * from {{ ref('int_report_origins') }}
),

listing_agreement as (
    select * from {{ ref('int_miner_listing_agreement') }}
),

source_reliability as (
    select * from {{ ref('int_source_reliability') }}
),

coordinated_groups as (
    select * from {{ ref('int_coordinated_groups') }}
),

copy_relations as (
    select * from {{ ref('int_copy_relations') }}
),

miner_uids as (
    select * from {{ ref('miner_uids') }}
),

-- each source's key and name (macros/source_id_of.sql)
sources as (
    {{- source_names() }}
),

hotkeys as (
    select
        miner_hotkey,
        min(source_key) as source_key,
        count(*) as reports_count,
        count(*) filter (where report_kind = 'original') as original_reports,
        count(*) filter (where report_kind = 'copy') as copied_reports,
        count(*) filter (where report_kind = 'reupload') as reuploaded_reports
    from report_origins
    group by miner_hotkey
),

main_origin as (
    select distinct on (miner_hotkey)
        miner_hotkey,
        origin_hotkey
    from copy_relations
    order by miner_hotkey asc, copied_reports desc, origin_hotkey asc
),

reliability as (
    select
        source_key,
        sum(compared_votes) as compared_votes,
        sum(agreeing_votes) as agreeing_votes,
        count(*) filter (where is_trusted) as trusted_fields
    from source_reliability
    group by source_key
),

-- the hotkey's current votes on scored fields (the votes that are its reports), against
-- the published values: summed per listing by int_miner_listing_agreement, which builds
-- in listing slices. Joined here, every vote to its field's published value and to its
-- report, they wrote over 8 GB of temporary files at 10M raw rows.
vote_outcomes as (
    select
        miner_hotkey,
        sum(method_votes) as current_votes,
        sum(contested_votes) as contested_votes,
        sum(method_votes - contested_votes) as settled_votes,
        sum(settled_agreeing_votes) as settled_agreeing_votes
    from listing_agreement
    group by miner_hotkey
),

final as (
    select
        hotkeys.miner_hotkey,
        miner_uids.miner_uid,
        sources.source_id,
        hotkeys.reports_count::bigint as reports_count,
        hotkeys.original_reports::bigint as original_reports,
        round(hotkeys.copied_reports::numeric / nullif(hotkeys.reports_count, 0), 6)
            as copied_report_share,
        case
            when hotkeys.copied_reports >= {{ var('consensus_copy_min_reports') }}
                then main_origin.origin_hotkey
        end as copies_hotkey,
        round(hotkeys.reuploaded_reports::numeric / nullif(hotkeys.reports_count, 0), 6)
            as reupload_share,
        coordinated_groups.coordinated_group_id,
        coordinated_groups.group_size as coordinated_group_size,
        coalesce(reliability.compared_votes, 0)::bigint as compared_votes,
        round(
            ({{ smoothed_accuracy('coalesce(reliability.agreeing_votes, 0)',
                'coalesce(reliability.compared_votes, 0)') }})::numeric,
            6
        ) as reliability,
        coalesce(reliability.trusted_fields, 0)::integer as trusted_fields,
        coalesce(vote_outcomes.current_votes, 0)::bigint as current_votes,
        round(vote_outcomes.contested_votes::numeric / nullif(vote_outcomes.current_votes, 0), 6)
            as contested_vote_share,
        round(
            vote_outcomes.settled_agreeing_votes::numeric
            / nullif(vote_outcomes.settled_votes, 0),
            6
        ) as settled_agreement
    from hotkeys
    left join main_origin on hotkeys.miner_hotkey = main_origin.miner_hotkey
    left join reliability on hotkeys.source_key = reliability.source_key
    left join sources on hotkeys.source_key = sources.source_key
    left join coordinated_groups on sources.source_id = coordinated_groups.source_id
    left join vote_outcomes on hotkeys.miner_hotkey = vote_outcomes.miner_hotkey
    left join miner_uids on hotkeys.miner_hotkey = miner_uids.miner_hotkey
)

select * from final
