"""`resi watch` against a real S3 and SQS endpoint (moto's server) and a real database,
loading only (--no-build): notifications in the shapes S3, SNS and EventBridge send,
redelivery after a kill, an overwritten key, and polling."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import boto3
import psycopg
import pytest
from helpers import connect, resi
from watch_support import (
    ACCOUNT,
    loaded_files,
    make_queue,
    parquet_bytes,
    query,
    queue_depth,
    wait_for,
    watching,
)

from resi.watching.state import watcher_state


@pytest.fixture
def aws(s3_endpoint: str, s3_bucket):
    client, bucket = s3_bucket
    sqs = boto3.client("sqs", endpoint_url=s3_endpoint, region_name="us-east-1")
    return {"endpoint": s3_endpoint, "s3": client, "bucket": bucket, "sqs": sqs}


def _watch_args(aws: dict, queue_url: str | None = None, *extra: str) -> list[str]:
    args = [f"s3://{aws['bucket']}", "--endpoint-url", aws["endpoint"], "--no-build", *extra]
    if queue_url:
        args += ["--queue-url", queue_url]
    return args


def _notified_queue(aws: dict, visibility_timeout: int) -> dict:
    """A new queue that the bucket notifies of every new object (moto, like S3, sends an
    s3:TestEvent first)."""
    queue = make_queue(aws["sqs"], visibility_timeout=visibility_timeout)
    aws["s3"].put_bucket_notification_configuration(
        Bucket=aws["bucket"],
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue["arn"], "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    return queue


def test_s3_notifications_load_each_file_once_and_empty_the_queue(
    aws, scratch_db, miner_files, tmp_path: Path
) -> None:
    frame, key = miner_files
    queue = _notified_queue(aws, visibility_timeout=10)
    assert queue_depth(aws["sqs"], queue["url"]) == 1

    # a key S3 percent-encodes in the event (space, plus; '/' becomes %2F)
    odd = key(hotkey="5Hk A+b", job_id="zip 77494&x=1", count=4)
    with watching(scratch_db, tmp_path, *_watch_args(aws, queue["url"])) as proc:
        aws["s3"].put_object(Bucket=aws["bucket"], Key=odd, Body=parquet_bytes(frame(4, seed=1)))
        # a multipart upload (moto sends an event for it too)
        big = key(hotkey="5Multi", count=3)
        upload = aws["s3"].create_multipart_upload(Bucket=aws["bucket"], Key=big)
        part = aws["s3"].upload_part(
            Bucket=aws["bucket"],
            Key=big,
            PartNumber=1,
            UploadId=upload["UploadId"],
            Body=parquet_bytes(frame(3, seed=2)),
        )
        aws["s3"].complete_multipart_upload(
            Bucket=aws["bucket"],
            Key=big,
            UploadId=upload["UploadId"],
            MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
        )
        wait_for(lambda: len(loaded_files(scratch_db)) == 2, 60, "both files loaded")
        wait_for(lambda: queue_depth(aws["sqs"], queue["url"]) == 0, 60, "the queue to empty")
        assert proc.poll() is None

    files = loaded_files(scratch_db)
    assert [(k, s, n) for k, _, s, n in files] == [(odd, "loaded", 4), (big, "loaded", 3)]
    multipart_etag = aws["s3"].head_object(Bucket=aws["bucket"], Key=big)["ETag"].strip('"')
    assert files[1][1] == multipart_etag  # compared without quotes, "-1" suffix kept
    rows = query(scratch_db, "select count(*) from raw.listing_rows")
    assert rows == [(7,)]
    with connect(scratch_db) as conn:
        (watcher,) = watcher_state(conn)["watchers"]
    assert watcher["running"] is False and watcher["stopped_at"] is not None
    assert watcher["mode"] == "queue" and watcher["files_loaded"] == 2
    assert watcher["last_load_at"] is not None and watcher["last_poll_at"] is not None


def test_sns_and_eventbridge_shapes_and_poison_messages(
    aws, scratch_db, miner_files, tmp_path: Path
) -> None:
    frame, key = miner_files
    sqs = aws["sqs"]
    queue = make_queue(sqs, visibility_timeout=1, dead_letter_after=2)

    # SNS -> SQS, wired in moto: the S3 event arrives as the envelope's Message string
    sns = boto3.client("sns", endpoint_url=aws["endpoint"], region_name="us-east-1")
    topic = sns.create_topic(Name=f"t-{aws['bucket']}")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue["arn"])

    via_sns = key(hotkey="5Sns+x", count=2)
    via_eventbridge = key(hotkey="5Eb x", count=3)
    with watching(scratch_db, tmp_path, *_watch_args(aws, queue["url"])) as proc:
        for k, n, seed in ((via_sns, 2, 3), (via_eventbridge, 3, 4)):
            aws["s3"].put_object(Bucket=aws["bucket"], Key=k, Body=parquet_bytes(frame(n, seed)))
        etag = aws["s3"].head_object(Bucket=aws["bucket"], Key=via_sns)["ETag"]
        s3_event = {
            "Records": [
                {
                    "eventName": "ObjectCreated:Put",
                    "s3": {
                        "bucket": {"name": aws["bucket"]},
                        "object": {
                            "key": via_sns.replace(" ", "+").replace("+x", "%2Bx"),
                            "eTag": etag,
                        },
                    },
                }
            ]
        }
        sns.publish(TopicArn=topic, Message=json.dumps(s3_event))
        # EventBridge's shape (key as is, "etag"), as a rule targeting the queue delivers it
        eb_etag = aws["s3"].head_object(Bucket=aws["bucket"], Key=via_eventbridge)["ETag"]
        sqs.send_message(
            QueueUrl=queue["url"],
            MessageBody=json.dumps(
                {
                    "version": "0",
                    "detail-type": "Object Created",
                    "source": "aws.s3",
                    "account": ACCOUNT,
                    "detail": {
                        "bucket": {"name": aws["bucket"]},
                        "object": {"key": via_eventbridge, "etag": eb_etag.strip('"'), "size": 1},
                    },
                }
            ),
        )
        sqs.send_message(QueueUrl=queue["url"], MessageBody="this is not an S3 event")
        wait_for(lambda: len(loaded_files(scratch_db)) == 2, 60, "both files loaded")
        # the poison message went to the dead-letter queue, the others were deleted
        wait_for(lambda: queue_depth(sqs, queue["dlq_url"]) == 1, 60, "the poison in the DLQ")
        wait_for(lambda: queue_depth(sqs, queue["url"]) == 0, 60, "the queue to empty")
        assert proc.poll() is None
    (dead,) = sqs.receive_message(QueueUrl=queue["dlq_url"])["Messages"]
    assert dead["Body"] == "this is not an S3 event"
    keys = [(k, s) for k, _, s, _ in loaded_files(scratch_db)]
    assert keys == sorted([(via_eventbridge, "loaded"), (via_sns, "loaded")])
    with connect(scratch_db) as conn:
        (watcher,) = watcher_state(conn)["watchers"]
    assert "dead-letter" in watcher["last_error"]


def _blocked_on_manifest(env: dict[str, str]) -> bool:
    rows = query(
        env,
        "select count(*) from pg_stat_activity where datname = current_database()"
        " and wait_event_type = 'Lock' and query ilike '%%insert into raw.source_files%%'",
    )
    return bool(rows and rows[0][0])


def _upload_while_the_manifest_is_held(
    holder: psycopg.Connection, aws: dict, env: dict[str, str], name: str, body: bytes
) -> None:
    """Upload `name` while `holder` locks raw.source_files, and wait until the watcher is
    loading it: the file's commit cannot happen until `holder` rolls back."""
    holder.execute("begin; lock table raw.source_files in share mode")
    aws["s3"].put_object(Bucket=aws["bucket"], Key=name, Body=body)
    wait_for(lambda: _blocked_on_manifest(env), 30, "the watcher mid-load")


def test_a_message_survives_a_killed_watcher_and_loads_once(
    aws, scratch_db, miner_files, tmp_path: Path
) -> None:
    frame, key = miner_files
    sqs = aws["sqs"]
    queue = _notified_queue(aws, visibility_timeout=2)
    name = key(hotkey="5Kill", count=6)
    args = _watch_args(aws, queue["url"])
    with connect(scratch_db) as holder:
        with watching(scratch_db, tmp_path, *args) as proc:
            wait_for(lambda: queue_depth(sqs, queue["url"]) == 0, 30, "the test event consumed")
            _upload_while_the_manifest_is_held(
                holder, aws, scratch_db, name, parquet_bytes(frame(6, 5))
            )
            # the heartbeat keeps the message hidden well past its 2 s visibility timeout
            for _ in range(3):
                time.sleep(2)
                attributes = sqs.get_queue_attributes(
                    QueueUrl=queue["url"], AttributeNames=["ApproximateNumberOfMessages"]
                )["Attributes"]
                assert attributes["ApproximateNumberOfMessages"] == "0"
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        assert queue_depth(sqs, queue["url"]) == 1  # not deleted: nothing was committed
        holder.execute("rollback")
    assert loaded_files(scratch_db) == []

    with watching(scratch_db, tmp_path, *args) as proc:
        wait_for(lambda: loaded_files(scratch_db), 60, "the file loaded after the restart")
        wait_for(lambda: queue_depth(sqs, queue["url"]) == 0, 60, "the message deleted")
    files = loaded_files(scratch_db)
    assert [(k, s, n) for k, _, s, n in files] == [(name, "loaded", 6)]
    assert query(scratch_db, "select count(*) from raw.listing_rows") == [(6,)]


def test_an_overwritten_key_loads_as_a_new_version(
    aws, scratch_db, miner_files, tmp_path: Path
) -> None:
    frame, key = miner_files
    queue = _notified_queue(aws, visibility_timeout=10)
    name = key(hotkey="5Over", count=2)
    with watching(scratch_db, tmp_path, *_watch_args(aws, queue["url"])):
        aws["s3"].put_object(Bucket=aws["bucket"], Key=name, Body=parquet_bytes(frame(2, 6)))
        wait_for(lambda: len(loaded_files(scratch_db)) == 1, 60, "the first version")
        aws["s3"].put_object(Bucket=aws["bucket"], Key=name, Body=parquet_bytes(frame(2, 7)))
        wait_for(lambda: len(loaded_files(scratch_db)) == 2, 60, "the second version")
        wait_for(lambda: queue_depth(aws["sqs"], queue["url"]) == 0, 60, "the queue to empty")
    (first, second) = loaded_files(scratch_db)
    assert first[0] == second[0] == name and first[1] != second[1]
    current = aws["s3"].head_object(Bucket=aws["bucket"], Key=name)["ETag"].strip('"')
    assert current in (first[1], second[1])


def test_polling_finds_a_late_object_that_sorts_first(
    aws, scratch_db, miner_files, tmp_path: Path
) -> None:
    frame, key = miner_files
    late_but_first = key(hotkey="5Aaaa", stamp="20240101_000000", count=2)
    seen_first = key(hotkey="5Zzzz", count=3)
    args = _watch_args(aws, None, "--interval", "0.5")
    with watching(scratch_db, tmp_path, *args):
        aws["s3"].put_object(Bucket=aws["bucket"], Key=seen_first, Body=parquet_bytes(frame(3, 8)))
        wait_for(lambda: len(loaded_files(scratch_db)) == 1, 60, "the first object")
        aws["s3"].put_object(
            Bucket=aws["bucket"], Key=late_but_first, Body=parquet_bytes(frame(2, 9))
        )
        wait_for(lambda: len(loaded_files(scratch_db)) == 2, 60, "the late object")
        second = resi(scratch_db, "watch", *args, check=False)  # one watcher per source
        assert second.returncode == 2 and "already watching" in second.stderr
    assert [k for k, *_ in loaded_files(scratch_db)] == [late_but_first, seen_first]
    with connect(scratch_db) as conn:
        (watcher,) = watcher_state(conn)["watchers"]
    assert watcher["mode"] == "polling" and watcher["backlog"] == 0


def test_sigterm_mid_load_finishes_the_file_and_exits_0(
    aws, scratch_db, miner_files, tmp_path: Path
) -> None:
    frame, key = miner_files
    sqs = aws["sqs"]
    queue = _notified_queue(aws, visibility_timeout=30)
    name = key(hotkey="5Term", count=4)
    args = _watch_args(aws, queue["url"])
    with connect(scratch_db) as holder, watching(scratch_db, tmp_path, *args) as proc:
        wait_for(lambda: queue_depth(sqs, queue["url"]) == 0, 30, "the test event consumed")
        _upload_while_the_manifest_is_held(
            holder, aws, scratch_db, name, parquet_bytes(frame(4, 10))
        )
        proc.send_signal(signal.SIGTERM)
        time.sleep(1)
        assert proc.poll() is None  # still finishing the file
        holder.execute("rollback")
        assert proc.wait(timeout=60) == 0, proc.log_path.read_text()
    assert [(k, s, n) for k, _, s, n in loaded_files(scratch_db)] == [(name, "loaded", 4)]
    assert queue_depth(sqs, queue["url"]) == 0  # committed, so deleted before exiting


def test_files_arriving_during_a_build_go_into_the_next_one(
    aws, scratch_db, miner_files, tmp_path: Path
) -> None:
    from resi.watching.building import BUILD_LOCK

    frame, key = miner_files
    sqs = aws["sqs"]
    queue = _notified_queue(aws, visibility_timeout=30)
    names = [key(hotkey=f"5Burst{i}", count=2) for i in range(3)]
    # a cheap build (staging only), so the test times the watcher, not dbt
    cheap = ["--select", "resource_type:seed", "path:models/staging"]
    args = [*_watch_args(aws, queue["url"]), *cheap]
    args.remove("--no-build")
    with connect(scratch_db) as builder:
        # another process is building: the watcher's first build has to wait for it
        builder.execute("select pg_advisory_lock(%s)", [BUILD_LOCK])
        # (cautious: no tests that reach into models outside the selection)
        dbt_env = {**scratch_db, "DBT_INDIRECT_SELECTION": "cautious"}
        with watching(dbt_env, tmp_path, *args) as proc:
            wait_for(lambda: "another build is running" in proc.log_path.read_text(), 30, "wait")
            for i, name in enumerate(names):
                body = parquet_bytes(frame(2, 20 + i))
                aws["s3"].put_object(Bucket=aws["bucket"], Key=name, Body=body)
            wait_for(lambda: queue_depth(sqs, queue["url"]) == 4, 30, "test event + 3 uploads")
            builder.execute("select pg_advisory_unlock(%s)", [BUILD_LOCK])
            wait_for(lambda: len(loaded_files(scratch_db)) == 3, 300, "the burst loaded")
            (status,) = wait_for(
                lambda: query(
                    scratch_db,
                    "select last_build_status from raw.watcher_state"
                    " where last_build_status in ('succeeded', 'failed')"
                    " and last_build_started_at > last_load_at",
                ),
                300,
                "the build after the burst",
            )
            assert status == ("succeeded",), proc.log_path.read_text()[-3000:]
    # the three uploads were one batch (one load run) and one build
    runs = query(scratch_db, "select count(distinct load_run_id) from raw.source_files")
    assert runs == [(1,)]
    builds = [line for line in proc.log_path.read_text().splitlines() if " INFO dbt build" in line]
    assert len(builds) == 2, builds  # the one that waited, then one for the burst
