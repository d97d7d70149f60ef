"""What the `resi watch` tests share: an SQS queue on the moto endpoint, a running watcher
subprocess, and waiting for the database to show something."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from helpers import RESI, connect

from resi import PROJECT_ROOT

ACCOUNT = "123456789012"  # moto's default account


def make_queue(sqs, visibility_timeout: int = 30, dead_letter_after: int | None = None) -> dict:
    """A queue (and, with dead_letter_after, its dead-letter queue): {url, arn, dlq_url}."""
    name = f"resi-{uuid.uuid4().hex[:10]}"
    attributes = {"VisibilityTimeout": str(visibility_timeout)}
    dlq_url = None
    if dead_letter_after is not None:
        dlq_url = sqs.create_queue(QueueName=name + "-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(dead_letter_after)}
        )
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return {"url": url, "arn": arn, "dlq_url": dlq_url}


def queue_depth(sqs, url: str) -> int:
    """Messages in the queue, visible or in flight."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def parquet_bytes(frame) -> bytes:
    """A DataFrame as the miners write it (pandas to Parquet)."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def wait_for(predicate: Callable[[], object], timeout: float, what: str, every: float = 0.3):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def query(env: dict[str, str], sql: str, params: list | None = None) -> list[tuple]:
    with connect(env) as conn:
        try:
            return conn.execute(sql, params or []).fetchall()
        except psycopg.errors.UndefinedTable:
            return []


def loaded_files(env: dict[str, str]) -> list[tuple]:
    """(key, etag, status, row_count) of every recorded object, by key."""
    return query(
        env, "select key, etag, status, row_count from raw.source_files order by key, file_id"
    )


@contextmanager
def watching(env: dict[str, str], log_dir: Path, *args: str) -> Iterator[subprocess.Popen]:
    """`resi watch ARGS` running in the background against the database `env` names; on
    leaving, SIGTERM and a check that it exited 0 (unless the test already ended it)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"watch-{uuid.uuid4().hex[:6]}.log"
    with open(log_path, "w") as log_file:
        proc = subprocess.Popen(
            [str(RESI), "watch", *args, "--rebuild-at", "off"],
            env={**os.environ, **env},
            cwd=PROJECT_ROOT,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        proc.log_path = log_path  # type: ignore[attr-defined]
        try:
            wait_for(
                lambda: (
                    proc.poll() is not None
                    or query(env, "select 1 from raw.watcher_state where pid = %s", [proc.pid])
                ),
                60,
                "the watcher to start",
            )
            assert proc.poll() is None, log_path.read_text()
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                    raise AssertionError("resi watch did not stop on SIGTERM") from None
                assert proc.returncode == 0, log_path.read_text()
