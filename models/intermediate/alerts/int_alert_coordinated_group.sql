{{ config(materialized='view') }}

{#-
    Alert coordinated_group: one row per hotkey of a coordinated group
    (int_coordinated_groups: sources that push the same disputed values far beyond
    chance), naming every hotkey of its group. figure: the group's number of sources.
-#}

with

groups as (
    select * from {{ ref('int_coordinated_groups') }}
),

report_origins as (
    select * from {{ ref('int_report_origins') }}
),

-- each hotkey's source (macros/source_id_of.sql)
hotkey_sources as (
    {{- hotkey_sources() }}
),

hotkeys as (
    select
        hotkey_sources.source_id,
        report_origins.miner_hotkey,
        min(report_origins.submitted_at) as first_submitted_at
    from report_origins
    inner join hotkey_sources on report_origins.miner_hotkey = hotkey_sources.miner_hotkey
    group by hotkey_sources.source_id, report_origins.miner_hotkey
),

members as (
    select
        groups.coordinated_group_id,
        groups.group_size,
        groups.shared_disputed_values,
        groups.disputed_votes,
        hotkeys.miner_hotkey,
        hotkeys.first_submitted_at
    from groups
    inner join hotkeys on groups.source_id = hotkeys.source_id
),

named as (
    select
        *,
        string_agg(miner_hotkey, ', ') over (
            partition by coordinated_group_id order by miner_hotkey
            rows between unbounded preceding and unbounded following
        ) as group_hotkeys
    from members
),

final as (
    select
        'coordinated_group'::text as alert_kind,
        miner_hotkey::text as subject,
        group_size::numeric as figure,
        first_submitted_at::timestamptz as first_seen_at,
        (
            coordinated_group_id || ' of ' || group_size || ' sources votes as one: '
            || shared_disputed_values || ' disputed values shared with the group, of its '
            || disputed_votes || ' disputed votes; hotkeys: ' || group_hotkeys
        )::text as details
    from named
)

select * from final
