"""`resi watch SOURCE`: keep the database current, for as long as it runs.

    catch-up listing ─┐
    SQS messages ─────┼─> load the new objects ─> one incremental dbt build ─> new alerts
    (or a listing     │     (loader: each file       (under the build lock;     (logged)
     every interval) ─┘      whole or absent)         files arriving meanwhile
                                                      wait for the next one)

Polling compares a full listing with the manifest of (key, ETag) in raw.source_files, not a
"newer than" cursor, so late objects, keys sorting before those already seen and
overwritten keys (new ETag) are all found. SIGTERM or Ctrl-C: the file being loaded is
finished (or, if the process is killed, rolled back by the database), a running dbt is
interrupted, the process exits 0. Nothing is lost either way: an SQS message is deleted
only after its files are committed, so a killed watcher's messages come back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import signal
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import psycopg

from loader import discovery, manifest, schema
from loader import load as loading
from loader.paths import Source
from resi.reporting import alerts as alerting
from resi.watching import building, state
from resi.watching.queue import Heartbeat, Message, Queue, sqs_client

log = logging.getLogger("resi.watch")

MAX_BATCH_MESSAGES = 100  # messages gathered into one load before building


@dataclass
class Options:
    source: Source
    endpoint_url: str | None = None
    queue_url: str | None = None
    interval: float = 60.0  # polling: seconds between listings
    wait_seconds: int = 5  # SQS long-poll wait (also the longest wait to notice a stop)
    visibility_timeout: int | None = None  # None: the queue's own
    rebuild_at: dt.time | None = dt.time(3, 0)  # UTC
    build: bool = True
    select: list[str] | None = None  # dbt --select for the incremental build


class Watcher:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.source = options.source
        self.stop = threading.Event()
        self.conn: psycopg.Connection | None = None
        self.s3 = discovery.s3_client(options.endpoint_url) if self.source.kind == "s3" else None
        self.queue: Queue | None = None
        self.build_pending = False
        self.first_build = True
        self.open_alert_ids: set[str] = set()
        self.files_loaded = 0
        self.last_rebuild: dt.datetime | None = None

    # --- state ------------------------------------------------------------------------

    def _db(self) -> psycopg.Connection:
        if self.conn is None or self.conn.closed or self.conn.broken:
            reconnecting = self.conn is not None
            if reconnecting:
                with contextlib.suppress(psycopg.Error):
                    self.conn.close()
            self.conn = loading.connect_with_retries()
            self.conn.autocommit = True
            if reconnecting and not state.hold(self.conn, self.source.uri):
                log.warning("another watcher took %s meanwhile", self.source.uri)
        return self.conn

    def _state(self, **values) -> None:
        try:
            state.update(self._db(), self.source.uri, **values)
        except psycopg.Error as exc:
            log.warning("could not record the watcher state: %s", exc)

    def _error(self, message: str) -> None:
        log.error("%s", message)
        with contextlib.suppress(psycopg.Error):
            state.record_error(self._db(), self.source.uri, message)

    # --- the loop ---------------------------------------------------------------------

    def request_stop(self, signum: int, _frame) -> None:
        if not self.stop.is_set():
            log.info("%s: finishing the current file, then exiting", signal.Signals(signum).name)
        self.stop.set()

    def run(self) -> int:
        conn = self._db()
        schema.migrate(conn)
        mode = "queue" if self.options.queue_url else "polling"
        state.register(conn, self.source.uri, mode, self.options.queue_url)
        self.last_rebuild = self._stored_last_rebuild() or dt.datetime.now(dt.UTC)
        try:
            if self.options.queue_url:
                self.queue = self._open_queue(self.options.queue_url)
            log.info("watching %s (%s)", self.source.uri, mode)
            if not self._guarded(self._start):
                self.build_pending = self.options.build
            backoff = 1.0
            while not self.stop.is_set():
                ok = self._guarded(self._step)
                backoff = 1.0 if ok else min(backoff * 2, 60.0)
                if not ok:
                    self.stop.wait(backoff)
        finally:
            with contextlib.suppress(psycopg.Error):
                state.unregister(self._db(), self.source.uri)
            if self.conn is not None:
                self.conn.close()
        log.info("stopped")
        return 0

    def _start(self) -> None:
        self.catch_up()
        self._note_open_alerts()
        self.first_build = not self._marts_exist()  # a fresh database needs the seeds
        self.build_pending = self.build_pending or self._unbuilt_files()

    def _open_queue(self, url: str) -> Queue:
        client = sqs_client(url, self.options.endpoint_url)
        timeout = self.options.visibility_timeout or int(
            client.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])[
                "Attributes"
            ]["VisibilityTimeout"]
        )
        return Queue(client, url, timeout)

    def _guarded(self, step) -> bool:
        """Run one step; a failure is logged and recorded, and the loop goes on."""
        try:
            step()
            return True
        except loading.Fatal as exc:
            self._error(f"load: {exc}")
        except discovery.SourceUnreachable as exc:
            self._error(f"listing: {exc}")
        except psycopg.Error as exc:
            self._error(f"database: {str(exc).strip()}")
        except Exception as exc:  # botocore errors, a queue that vanished...
            self._error(f"{type(exc).__name__}: {exc}")
        return False

    def _step(self) -> None:
        """Build what the last batch (or the catch-up) loaded, then look for more."""
        if self.build_pending and not self.stop.is_set():
            self.build()
        if self._rebuild_due() and not self.stop.is_set():
            self.rebuild()
        if self.queue is not None:
            self.receive()
        elif not self.stop.wait(self.options.interval):
            self.poll()

    # --- finding new objects ----------------------------------------------------------

    def catch_up(self) -> None:
        """A full listing against the manifest: what arrived while no one was watching."""
        self.poll()

    def poll(self) -> None:
        known = manifest.known_objects(self._db(), self.source.uri)
        new = [
            obj
            for obj in discovery.list_objects(self.source, self.s3)
            if (obj.uri, obj.etag) not in known
        ]
        self._state(last_poll_at="now", backlog=len(new))
        if new:
            log.info("%d new objects", len(new))
            self.load(new)

    def receive(self) -> None:
        assert self.queue is not None
        messages, poison = self.queue.receive(self.options.wait_seconds)
        # gather what else is waiting (a burst of uploads becomes one load and one build)
        while messages and len(messages) < MAX_BATCH_MESSAGES and not self.stop.is_set():
            more, more_poison = self.queue.receive(0)
            poison += more_poison
            if not more:
                break
            messages += more
        self._state(last_poll_at="now", backlog=self.queue.backlog() + len(messages))
        if poison:
            self._error(f"{poison} unreadable messages left for the dead-letter queue")
        if messages and not self.stop.is_set():
            self.process(messages)

    def process(self, messages: list[Message]) -> None:
        """Load the messages' objects, then delete the messages whose objects are all
        committed; the others come back after the visibility timeout."""
        assert self.queue is not None
        wanted: dict[str, list[discovery.ObjectInfo]] = {}
        unresolved: set[str] = set()
        for message in messages:
            objects = []
            for event in message.events:
                if not event.created:
                    continue
                try:
                    obj = self._resolve(event)
                except Exception as exc:
                    log.warning("cannot look up s3://%s/%s: %s", event.bucket, event.key, exc)
                    unresolved.add(message.message_id)
                    continue
                if obj is not None:
                    objects.append(obj)
            wanted[message.message_id] = objects
        unique = {(o.uri, o.etag): o for objs in wanted.values() for o in objs}
        with Heartbeat(self.queue, messages):
            if unique:
                self.load(sorted(unique.values(), key=lambda o: o.key))
        committed = self._recorded(list(unique))
        done = [
            m
            for m in messages
            if m.message_id not in unresolved
            and all((o.uri, o.etag) in committed for o in wanted[m.message_id])
        ]
        if done:
            self.queue.delete(done)
        left = [m for m in messages if m not in done]
        if left:
            log.warning("%d messages left in the queue (their files are not loaded)", len(left))
            if self.stop.is_set():
                self.queue.release(left)  # for the next watcher now, not after the timeout

    def _resolve(self, event) -> discovery.ObjectInfo | None:
        """The object an event names, as it is now (HeadObject: size, ETag, server time);
        None when it is not ours (other bucket or prefix) or no longer exists."""
        from botocore.exceptions import ClientError

        if event.bucket != self.source.bucket:
            return None
        for key in event.key_candidates:
            if not key.startswith(self.source.prefix):
                continue
            try:
                head = self.s3.head_object(Bucket=event.bucket, Key=key)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                    continue
                raise
            etag = head["ETag"].strip('"')
            if event.etag and etag != event.etag:
                log.info("%s was overwritten since the event; loading its current version", key)
            return discovery.ObjectInfo(
                uri=self.source.object_uri(key),
                bucket=event.bucket,
                key=key,
                relative_key=self.source.relative(key),
                etag=etag,
                size=head["ContentLength"],
                last_modified=head["LastModified"],
            )
        return None

    def _recorded(self, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
        if not pairs:
            return set()
        rows = (
            self._db()
            .execute(
                "select source_uri, etag from raw.source_files"
                " where (source_uri, etag) in (select * from unnest(%s::text[], %s::text[]))",
                [[p[0] for p in pairs], [p[1] for p in pairs]],
            )
            .fetchall()
        )
        return set(rows)

    # --- loading, building, alerts ----------------------------------------------------

    def _until_stopped(self, objects: Iterable[discovery.ObjectInfo]) -> Iterator:
        for obj in objects:
            if self.stop.is_set():
                return
            yield obj

    def load(self, objects: list[discovery.ObjectInfo]) -> None:
        summary = loading.load_objects(
            self.source, self._until_stopped(objects), self.options.endpoint_url
        )
        changed = summary.files_loaded + summary.files_rejected
        self.files_loaded += summary.files_loaded
        log.info(
            "loaded %d files (%d rows), %d rejected, %d already there, %d fetch errors",
            summary.files_loaded,
            summary.rows_loaded,
            summary.files_rejected,
            summary.files_skipped,
            summary.fetch_errors,
        )
        done = summary.files_loaded + summary.files_rejected + summary.files_skipped
        values: dict = {"files_loaded": self.files_loaded, "backlog": len(objects) - done}
        if changed:
            values["last_load_at"] = "now"
            self.build_pending = self.build_pending or self.options.build
        self._state(**values)
        for error in summary.errors:
            self._error(f"fetch: {error['error']}")

    def _marts_exist(self) -> bool:
        row = self._db().execute("select to_regclass('marts.unified_listings')").fetchone()
        return bool(row and row[0])

    def _unbuilt_files(self) -> bool:
        """Files recorded since the last successful build started, or no marts at all."""
        if not self.options.build:
            return False
        if not self._marts_exist():
            return True
        conn = self._db()
        since = state.last_successful_build(conn)
        row = conn.execute(
            "select exists (select 1 from raw.source_files"
            " where loaded_at > coalesce(%s, '-infinity'::timestamptz))",
            [since],
        ).fetchone()
        return bool(row and row[0])

    def build(self) -> None:
        args = list(building.FIRST if self.first_build else building.INCREMENTAL)
        if self.options.select:
            args += ["--select", *self.options.select]
        self._run_build(args, "build")
        self.build_pending = False  # a failed build waits for new files (or the rebuild)

    def rebuild(self) -> None:
        log.info("the daily consensus rebuild")
        if self._run_build(list(building.REBUILD_CONSENSUS), "rebuild"):
            self.last_rebuild = dt.datetime.now(dt.UTC)
            self._state(last_rebuild_at=self.last_rebuild)

    def _run_build(self, args: list[str], what: str) -> bool:
        self._state(last_build_started_at="now", last_build_status="running")
        log.info("dbt %s", " ".join(args))
        result = building.run_build(args, self.stop)
        status = (
            "interrupted"
            if result.interrupted
            else ("succeeded" if result.returncode == 0 else "failed")
        )
        self._state(
            last_build_at="now",
            last_build_status=status,
            last_build_seconds=round(result.seconds, 1),
        )
        if status == "failed":
            self._error(f"dbt {what} failed (exit {result.returncode}): dbt {' '.join(args)}")
        else:
            log.info("%s %s in %.1f s", what, status, result.seconds)
        if result.succeeded:
            self.first_build = False
            self.report_alerts()
        return result.succeeded

    def _note_open_alerts(self) -> None:
        """The alerts open at start-up are known already: only later ones are news."""
        try:
            self.open_alert_ids = {a["alert_id"] for a in alerting.fetch_alerts(self._db())}
        except alerting.AlertsNotBuilt:
            return
        if self.open_alert_ids:
            log.info("%d alerts open (`resi alerts` lists them)", len(self.open_alert_ids))

    def report_alerts(self) -> None:
        try:
            open_alerts = alerting.fetch_alerts(self._db())
        except alerting.AlertsNotBuilt:
            return
        for alert in open_alerts:
            if alert["alert_id"] not in self.open_alert_ids:
                log.warning(
                    "alert %s %s %s: %s",
                    alert["severity"],
                    alert["kind"],
                    alert["subject"],
                    alert["details"],
                )
        self.open_alert_ids = {a["alert_id"] for a in open_alerts}
        self._state(open_alerts=len(open_alerts))

    # --- the daily rebuild ------------------------------------------------------------

    def _stored_last_rebuild(self) -> dt.datetime | None:
        row = (
            self._db()
            .execute(
                "select last_rebuild_at from raw.watcher_state where source = %s",
                [self.source.uri],
            )
            .fetchone()
        )
        return row[0] if row else None

    def _rebuild_due(self) -> bool:
        at = self.options.rebuild_at
        if at is None or not self.options.build:
            return False
        now = dt.datetime.now(dt.UTC)
        todays = dt.datetime.combine(now.date(), at, tzinfo=dt.UTC)
        return now >= todays and (self.last_rebuild is None or self.last_rebuild < todays)


def watch(options: Options) -> int:
    """Run a watcher until SIGTERM or Ctrl-C; 0 on a clean stop."""
    watcher = Watcher(options)
    previous = {
        sig: signal.signal(sig, watcher.request_stop) for sig in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        return watcher.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
