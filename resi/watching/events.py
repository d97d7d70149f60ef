"""What an SQS message says about new objects, whichever way S3 sent it.

Three shapes reach the queue:
- S3 event notifications sent straight to SQS: `{"Records": [{"eventName":
  "ObjectCreated:Put", "s3": {"bucket": {"name"}, "object": {"key", "eTag", "size"}}}]}`,
  keys URL-encoded the way `quote_plus` encodes them (a space as `+`, `/` as `%2F`);
- the same through SNS: `{"Type": "Notification", "Message": "<the S3 event as a JSON
  string>"}` (with raw message delivery on, SNS passes the S3 event unwrapped);
- EventBridge: `{"detail-type": "Object Created", "source": "aws.s3", "detail":
  {"bucket": {"name"}, "object": {"key", "etag", "size"}}}`.

S3 sends `s3:TestEvent` when a notification is configured: nothing to load. A body that is
none of these raises `PoisonMessage`; the watcher leaves such a message to the queue's
redrive policy (dead-letter queue) rather than deleting what it does not understand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import unquote_plus


class PoisonMessage(ValueError):
    """The message body is not an S3 event the watcher understands."""


@dataclass(frozen=True)
class ObjectEvent:
    """One object a message announces. `key_candidates`: the key to try first, then the
    other reading (an EventBridge key is sent as is, a notification key URL-encoded)."""

    bucket: str
    key_candidates: tuple[str, ...]
    etag: str | None
    created: bool  # ObjectCreated (False: removed, restored, tagged... nothing to load)

    @property
    def key(self) -> str:
        return self.key_candidates[0]


def parse_message(body: str) -> list[ObjectEvent]:
    """The objects an SQS message body announces ([] for a test event). Raises
    PoisonMessage."""
    try:
        document = json.loads(body)
    except (TypeError, ValueError) as exc:
        raise PoisonMessage(f"not JSON: {exc}") from None
    return _parse(document, depth=0)


def _parse(document: object, depth: int) -> list[ObjectEvent]:
    if not isinstance(document, dict) or depth > 2:
        raise PoisonMessage("not an S3 event, SNS notification or EventBridge event")
    if document.get("Event") == "s3:TestEvent":
        return []
    if document.get("Type") == "Notification" and isinstance(document.get("Message"), str):
        try:
            inner = json.loads(document["Message"])
        except ValueError as exc:
            raise PoisonMessage(f"SNS Message is not JSON: {exc}") from None
        return _parse(inner, depth + 1)
    if "Records" in document:
        return [_from_record(record) for record in _records(document["Records"])]
    if "detail-type" in document and "detail" in document:
        return [_from_eventbridge(document)]
    raise PoisonMessage("not an S3 event, SNS notification or EventBridge event")


def _records(records: object) -> list[dict]:
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise PoisonMessage("Records is not a list of objects")
    return records


def _strip_etag(etag: object) -> str | None:
    return etag.strip('"') if isinstance(etag, str) and etag else None


def _object_event(
    shape: str, bucket: object, key: object, etag: object, created: bool, *, encoded: bool
) -> ObjectEvent:
    """The event of one object; `encoded`: the shape percent-encodes keys (S3's own), so
    the decoded key is tried first, else the key as sent."""
    if not isinstance(bucket, str) or not isinstance(key, str):
        raise PoisonMessage(f"{shape} with a non-text bucket or key")
    decoded = unquote_plus(key)
    if decoded == key:
        keys: tuple[str, ...] = (key,)
    else:
        keys = (decoded, key) if encoded else (key, decoded)
    return ObjectEvent(bucket, keys, _strip_etag(etag), created)


def _from_record(record: dict) -> ObjectEvent:
    try:
        name = str(record["eventName"])
        bucket = record["s3"]["bucket"]["name"]
        obj = record["s3"]["object"]
        key = obj["key"]
    except (KeyError, TypeError) as exc:
        raise PoisonMessage(f"S3 event record without {exc}") from None
    created = name.startswith("ObjectCreated") or name.startswith("s3:ObjectCreated")
    return _object_event("S3 event record", bucket, key, obj.get("eTag"), created, encoded=True)


def _from_eventbridge(document: dict) -> ObjectEvent:
    try:
        bucket = document["detail"]["bucket"]["name"]
        obj = document["detail"]["object"]
        key = obj["key"]
    except (KeyError, TypeError) as exc:
        raise PoisonMessage(f"EventBridge event without {exc}") from None
    created = document.get("detail-type") == "Object Created"
    etag = obj.get("etag") or obj.get("eTag")
    return _object_event("EventBridge event", bucket, key, etag, created, encoded=False)
