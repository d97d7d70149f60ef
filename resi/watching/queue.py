"""The SQS side of `resi watch`: receive event messages, keep them hidden while their files
load, delete them once their files are committed.

A message is deleted only after every object it announces is in raw.source_files (loaded,
rejected, or already there). A message that cannot be parsed, or whose objects cannot be
loaded, is left alone: it reappears after the visibility timeout and, once the queue's
redrive policy gives up on it (maxReceiveCount), moves to the dead-letter queue.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from resi.watching.events import ObjectEvent, PoisonMessage, parse_message

log = logging.getLogger("resi.watch")

MAX_MESSAGES = 10  # SQS's limit per receive


@dataclass
class Message:
    message_id: str
    receipt_handle: str
    receive_count: int
    events: list[ObjectEvent] = field(default_factory=list)


def sqs_client(queue_url: str, endpoint_url: str | None):
    import boto3
    from botocore.config import Config

    region = _region_of(queue_url)
    config = Config(retries={"mode": "standard"}, connect_timeout=10, read_timeout=40)
    return boto3.client("sqs", endpoint_url=endpoint_url or None, region_name=region, config=config)


def _region_of(queue_url: str) -> str | None:
    """https://sqs.us-east-1.amazonaws.com/123/name -> us-east-1 (None for other hosts)."""
    host = queue_url.split("://", 1)[-1].split("/", 1)[0]
    parts = host.split(".")
    return parts[1] if len(parts) >= 3 and parts[0] == "sqs" else None


class Queue:
    def __init__(self, client, url: str, visibility_timeout: int) -> None:
        self.client = client
        self.url = url
        self.visibility_timeout = visibility_timeout

    def receive(self, wait_seconds: int) -> tuple[list[Message], int]:
        """Up to 10 messages: (parsed messages, number of poison ones left in the queue)."""
        response = self.client.receive_message(
            QueueUrl=self.url,
            MaxNumberOfMessages=MAX_MESSAGES,
            WaitTimeSeconds=wait_seconds,
            VisibilityTimeout=self.visibility_timeout,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        messages, poison = [], 0
        for raw in response.get("Messages", ()):
            count = int(raw.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
            message = Message(raw["MessageId"], raw["ReceiptHandle"], count)
            try:
                message.events = parse_message(raw.get("Body", ""))
            except PoisonMessage as exc:
                poison += 1
                log.warning(
                    "message %s left for the dead-letter queue (received %d times): %s",
                    message.message_id,
                    count,
                    exc,
                )
                continue
            messages.append(message)
        return messages, poison

    def delete(self, messages: list[Message]) -> None:
        for start in range(0, len(messages), MAX_MESSAGES):
            chunk = messages[start : start + MAX_MESSAGES]
            response = self.client.delete_message_batch(
                QueueUrl=self.url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m.receipt_handle} for i, m in enumerate(chunk)
                ],
            )
            for failure in response.get("Failed", ()):
                log.warning("could not delete a message: %s", failure.get("Message"))

    def extend(self, messages: list[Message]) -> None:
        self._set_visibility(messages, self.visibility_timeout)

    def release(self, messages: list[Message]) -> None:
        """Make the messages visible again at once."""
        self._set_visibility(messages, 0)

    def _set_visibility(self, messages: list[Message], seconds: int) -> None:
        for start in range(0, len(messages), MAX_MESSAGES):
            chunk = messages[start : start + MAX_MESSAGES]
            self.client.change_message_visibility_batch(
                QueueUrl=self.url,
                Entries=[
                    {
                        "Id": str(i),
                        "ReceiptHandle": m.receipt_handle,
                        "VisibilityTimeout": seconds,
                    }
                    for i, m in enumerate(chunk)
                ],
            )

    def backlog(self) -> int:
        attributes = self.client.get_queue_attributes(
            QueueUrl=self.url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes.get("ApproximateNumberOfMessages", 0))


class Heartbeat:
    """While the body runs, push the messages' visibility timeout forward every third of it,
    so a large file's messages do not reappear (and load twice over) mid-load."""

    def __init__(self, queue: Queue, messages: list[Message]) -> None:
        self.queue = queue
        self.messages = messages
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._beat, name="resi-sqs-heartbeat", daemon=True)

    def _beat(self) -> None:
        interval = max(self.queue.visibility_timeout / 3, 0.5)
        while not self.done.wait(interval):
            try:
                self.queue.extend(self.messages)
            except Exception as exc:  # the load goes on; at worst a message is redelivered
                log.warning("could not extend the visibility timeout: %s", exc)

    def __enter__(self) -> Heartbeat:
        if self.messages:
            self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.done.set()
        if self.thread.is_alive():
            self.thread.join()
