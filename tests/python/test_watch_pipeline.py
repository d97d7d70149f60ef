"""End to end: `resi watch` keeps marts.unified_listings current with nobody running dbt,
first fed by S3 event notifications through SQS, then by polling, on one database (dbt
builds are the expensive part, so both modes share it)."""

from __future__ import annotations

import time
from pathlib import Path

import boto3
from helpers import connect
from watch_support import make_queue, parquet_bytes, query, wait_for, watching

from resi.simulation.writer import write_network
from resi.watching.state import watcher_state

BUILD_TIMEOUT = 900  # a first dbt build on a loaded 2-core machine


def _in_marts(env: dict[str, str], zpid: str) -> bool:
    return bool(query(env, "select 1 from marts.unified_listings where zpid = %s", [zpid]))


def _built_after_last_load(env: dict[str, str]) -> bool:
    return bool(
        query(
            env,
            "select 1 from raw.watcher_state where last_build_status = 'succeeded'"
            " and last_build_started_at > last_load_at",
        )
    )


def _new_listing_file(miner_frame, seed: int) -> tuple[bytes, str]:
    frame = miner_frame(1, seed=seed)
    zpid = f"9{seed:08d}"  # the simulator's zpids never start with 9 and have 8 digits
    frame["zpid"] = zpid
    frame["uri"] = frame["url"] = f"https://www.zillow.com/homedetails/{zpid}_zpid/"
    return parquet_bytes(frame), zpid


def test_watch_keeps_unified_listings_current_by_queue_then_by_polling(
    s3_endpoint: str, s3_bucket, scratch_db, miner_files, tmp_path: Path
) -> None:
    client, bucket = s3_bucket
    frame, key = miner_files
    write_network(tmp_path / "sim", seed=12, listings=30, miners=3, bad=False)
    root = tmp_path / "sim" / "bucket"
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        client.upload_file(str(path), bucket, path.relative_to(root).as_posix())

    sqs = boto3.client("sqs", endpoint_url=s3_endpoint, region_name="us-east-1")
    queue = make_queue(sqs, visibility_timeout=60)
    client.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue["arn"], "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    source = f"s3://{bucket}"
    logs = tmp_path / "logs"

    with watching(
        scratch_db, logs, source, "--endpoint-url", s3_endpoint, "--queue-url", queue["url"]
    ) as proc:
        # the catch-up listing loads the network, then the first build
        wait_for(
            lambda: query(
                scratch_db,
                "select 1 from raw.watcher_state where last_build_status = 'succeeded'",
            ),
            BUILD_TIMEOUT,
            "the first build",
            every=2,
        )
        listings = query(scratch_db, "select count(*) from marts.unified_listings")[0][0]
        assert listings == 30, proc.log_path.read_text()
        body, zpid = _new_listing_file(frame, 1)
        uploaded = time.monotonic()
        client.put_object(Bucket=bucket, Key=key(hotkey="5Late", count=1), Body=body)
        wait_for(lambda: _in_marts(scratch_db, zpid), BUILD_TIMEOUT, "the new listing", every=1)
        queue_latency = time.monotonic() - uploaded
        wait_for(lambda: _built_after_last_load(scratch_db), BUILD_TIMEOUT, "the build's end")
    log = proc.log_path.read_text()
    assert "dbt build" in log and "build succeeded" in log

    with watching(scratch_db, logs, source, "--endpoint-url", s3_endpoint, "--interval", "2"):
        body, zpid = _new_listing_file(frame, 2)
        uploaded = time.monotonic()
        client.put_object(Bucket=bucket, Key=key(hotkey="5Polled", count=1), Body=body)
        wait_for(lambda: _in_marts(scratch_db, zpid), BUILD_TIMEOUT, "the polled listing", every=1)
        polling_latency = time.monotonic() - uploaded
        wait_for(lambda: _built_after_last_load(scratch_db), BUILD_TIMEOUT, "the build's end")

    assert query(scratch_db, "select count(*) from marts.unified_listings") == [(32,)]
    with connect(scratch_db) as conn:
        (watcher,) = watcher_state(conn)["watchers"]
    assert watcher["mode"] == "polling" and watcher["last_build_status"] == "succeeded"
    assert watcher["open_alerts"] is not None and not watcher["running"]
    print(
        f"upload to unified_listings: queue {queue_latency:.1f} s, polling {polling_latency:.1f} s"
    )
