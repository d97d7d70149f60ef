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
    current votes against listing_consensus. A network-wide estimate like the weights it
    reports: re-estimated when the data has grown (macros/estimates.sql).
-#}
with

-- read in place by both its readers (the hotkeys and the vote outcomes) rather than copied
report_origins as not materialized (
    select * from {{ ref('int_report_origins') }}
),

votes as (
    select * from {{ ref('int_consensus_votes') }}
),

consensus as (
    select * from {{ ref('listing_consensus') }}
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

hotkeys as (
    select
        miner_hotkey,
        min(source_id) as source_id,
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
        source_id,
        sum(compared_votes) as compared_votes,
        sum(agreeing_votes) as agreeing_votes,
        count(*) filter (where is_trusted) as trusted_fields
    from source_reliability
    group by source_id
),

-- each field's published value (exactly one per listing and field) and whether the field
-- is contested
published_values as (
    select
        zpid,
        field_name,
        field_value,
        is_contested
    from consensus
    where is_consensus
),

-- the hotkey's current votes on scored fields (the votes that are its reports), against
-- the published values. Joined on (zpid, field_name) and compared with the published
-- value: joined to every consensus row on (zpid, field_name, field_value), three correlated
-- columns, the planner expected 54k rows where 8.3M came at 1M raw rows, and sorted or
-- hashed them as if they were few (0.2 GB of temporary files).
vote_outcomes as (
    select
        report_origins.miner_hotkey,
        count(*) as current_votes,
        count(*) filter (where published_values.is_contested) as contested_votes,
        count(*) filter (where not published_values.is_contested) as settled_votes,
        count(*) filter (
            where
            not published_values.is_contested
            and votes.field_value = published_values.field_value
        ) as settled_agreeing_votes
    from votes
    inner join published_values
        on
            votes.zpid = published_values.zpid
            and votes.field_name = published_values.field_name
    inner join report_origins on votes.attestation_id = report_origins.attestation_id
    where votes.field_name in {{ scored_field_names_sql() }}
    group by report_origins.miner_hotkey
),

final as (
    select
        hotkeys.miner_hotkey,
        miner_uids.miner_uid,
        hotkeys.source_id,
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
    left join reliability on hotkeys.source_id = reliability.source_id
    left join coordinated_groups on hotkeys.source_id = coordinated_groups.source_id
    left join vote_outcomes on hotkeys.miner_hotkey = vote_outcomes.miner_hotkey
    left join miner_uids on hotkeys.miner_hotkey = miner_uids.miner_hotkey
)

select * from final
