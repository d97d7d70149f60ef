{#-
    Every attestation's file is the file its report came from: the miner and the
    submission time stored on the attestation are its file's (stg_raw__source_files, by
    file_id), and the file is loaded. miner_attestations reads the file's path, job,
    claimed time and row count through that file_id, so a wrong one would show another
    file's facts. Returns the attestations that disagree with their file.
-#}
with

attestations as (
    select * from {{ ref('int_report_attestations') }}
),

source_files as (
    select * from {{ ref('stg_raw__source_files') }}
)

select
    attestations.attestation_id,
    attestations.file_id,
    attestations.miner_hotkey,
    source_files.miner_hotkey as file_miner_hotkey,
    attestations.submission_timestamp,
    source_files.submitted_at as file_submitted_at
from attestations
left join source_files on attestations.file_id = source_files.file_id
where
    source_files.file_id is null
    or not source_files.is_loaded
    or attestations.miner_hotkey is distinct from source_files.miner_hotkey
    or attestations.submission_timestamp is distinct from source_files.submitted_at
