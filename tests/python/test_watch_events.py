"""Reading SQS message bodies: the shapes S3 sends directly, through SNS and through
EventBridge; test events; what is poison."""

from __future__ import annotations

import json
from urllib.parse import quote_plus

import pytest

from resi.watching.events import PoisonMessage, parse_message

KEY = "data/hotkey=5H k+é/job_id=zip 77494/data_20250102_030405_5.parquet"


def s3_event(key: str = KEY, name: str = "ObjectCreated:Put") -> dict:
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "eventName": name,
                "s3": {
                    "bucket": {"name": "resi"},
                    "object": {"key": quote_plus(key), "size": 10, "eTag": '"abc123"'},
                },
            }
        ]
    }


def test_direct_s3_event_decodes_the_key_and_strips_the_etag() -> None:
    (event,) = parse_message(json.dumps(s3_event()))
    assert quote_plus(KEY) != KEY and "%2F" in quote_plus(KEY)  # '/' encoded too
    assert event.bucket == "resi" and event.key == KEY and event.etag == "abc123"
    assert event.created


def test_sns_envelope_and_eventbridge_shape() -> None:
    envelope = {"Type": "Notification", "TopicArn": "arn:t", "Message": json.dumps(s3_event())}
    (via_sns,) = parse_message(json.dumps(envelope))
    assert via_sns.key == KEY and via_sns.etag == "abc123"

    eventbridge = {
        "version": "0",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "detail": {"bucket": {"name": "resi"}, "object": {"key": KEY, "etag": "abc123"}},
    }
    (via_eb,) = parse_message(json.dumps(eventbridge))
    # EventBridge sends the key as is; the decoded reading comes second
    assert via_eb.key_candidates[0] == KEY and via_eb.etag == "abc123" and via_eb.created
    eventbridge["detail-type"] = "Object Deleted"
    assert not parse_message(json.dumps(eventbridge))[0].created


def test_test_events_and_removals_carry_nothing_to_load() -> None:
    test_event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "resi"}
    assert parse_message(json.dumps(test_event)) == []
    wrapped = {"Type": "Notification", "Message": json.dumps(test_event)}
    assert parse_message(json.dumps(wrapped)) == []
    (removed,) = parse_message(json.dumps(s3_event(name="ObjectRemoved:Delete")))
    assert not removed.created


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        json.dumps({"hello": "world"}),
        json.dumps({"Records": "nope"}),
        json.dumps({"Records": [{"eventName": "ObjectCreated:Put", "s3": {}}]}),
        json.dumps({"Type": "Notification", "Message": "{broken"}),
        json.dumps({"detail-type": "Object Created", "detail": {"bucket": {}}}),
    ],
)
def test_anything_else_is_poison(body: str) -> None:
    with pytest.raises(PoisonMessage):
        parse_message(body)


def test_the_daily_rebuild_is_due_once_a_day_after_its_time() -> None:
    import datetime as dt

    from loader.paths import parse_source
    from resi.watching.watcher import Options, Watcher

    now = dt.datetime.now(dt.UTC)
    earlier = (now - dt.timedelta(minutes=1)).time()
    watcher = Watcher(Options(source=parse_source("/tmp"), rebuild_at=earlier))
    watcher.last_rebuild = now - dt.timedelta(days=1)
    assert watcher._rebuild_due() == (earlier < now.time())  # not across midnight
    watcher.last_rebuild = now
    assert not watcher._rebuild_due()
    watcher.options.rebuild_at = None
    watcher.last_rebuild = now - dt.timedelta(days=2)
    assert not watcher._rebuild_due()
