{{ config(materialized='view') }}

{#-
    One row per open anomaly. Each kind's evidence is its own model
    (models/intermediate/alerts/int_alert_<kind>.sql: alert_kind, subject, figure,
    first_seen_at, details); here one list of kinds, and one join with the
    alert_thresholds seed that opens an alert at its warn threshold and makes it an error
    at its error threshold. A view, so that `resi alerts` always sees the current state
    (the stale-source check compares with the clock at query time).
-#}

{%- set alert_kinds = [
    'low_agreement',
    'duplicate_flood',
    'claimed_count_mismatch',
    'clock_skew',
    'rejected_files',
    'volume_spike',
    'stale_source',
    'schema_drift',
    'copy_group',
    'coordinated_group',
    'stale_reuploads',
] %}

with

thresholds as (
    select * from {{ ref('alert_thresholds') }}
),

evidence as (
    {%- for kind in alert_kinds %}
    select * from {{ ref('int_alert_' ~ kind) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

graded as (
    select
        evidence.*,
        thresholds.warn_threshold,
        thresholds.error_threshold,
        {{ alert_crosses('evidence.figure', 'thresholds.direction', 'thresholds.warn_threshold') }}
            as is_open,
        {{ alert_crosses('evidence.figure', 'thresholds.direction', 'thresholds.error_threshold') }}
            as is_error
    from evidence
    inner join thresholds on evidence.alert_kind = thresholds.alert_kind
),

final as (
    select
        md5(alert_kind || '|' || subject) as alert_id,
        alert_kind as kind,
        case when is_error then 'error' else 'warn' end as severity,
        subject,
        figure,
        (case when is_error then error_threshold else warn_threshold end)::numeric as threshold,
        first_seen_at,
        details
    from graded
    where is_open
)

select * from final
