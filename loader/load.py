"""`resi load SOURCE`: every miner file of a bucket or folder into raw, exactly once.

discover (list objects) → skip the (source_uri, etag) pairs already recorded → parse the
key → fetch (S3: to a temporary file, hashing on the way) → open the Parquet footer →
one transaction per file: claim the manifest row, COPY the rows batch by batch, fill in
the row count → commit. Whatever cannot be read is recorded as rejected with a reason.

Exit status: 0 when the run finished (rejects included; the summary counts them), 1 with
`--strict` when anything was rejected or when some object could not be fetched (it is
left for the next run), 2 when the database or the source cannot be reached.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import psycopg

from loader import copying, discovery, manifest, reading, schema
from loader.paths import KeyRejected, Source, parse_key, parse_source
from resi.database import connection as database

log = logging.getLogger("resi.load")
LOG_INTERVAL = 5.0  # seconds between progress lines when stderr is not a terminal

CONNECT_ATTEMPTS = int(os.environ.get("RESI_CONNECT_ATTEMPTS", "4"))


def _use_a_frugal_allocator() -> None:
    """jemalloc gives freed batches back to the OS; Arrow's default (mimalloc) keeps them,
    which on a 1M-row file costs ~80 MB of peak RSS for nothing."""
    import pyarrow as pa

    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(0)
    except (NotImplementedError, pa.ArrowException):
        pass


class Fatal(Exception):
    """The run cannot go on (database or source unreachable); the message is one line."""


@dataclass
class Summary:
    source: str
    load_run_id: int | None = None
    objects_seen: int = 0
    files_loaded: int = 0
    files_rejected: int = 0
    files_skipped: int = 0
    fetch_errors: int = 0
    rows_loaded: int = 0
    bytes_loaded: int = 0
    seconds: float = 0.0
    status: str = "running"
    rejects: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        out = dict(self.__dict__)
        out["peak_rss_mb"] = peak_rss_mb()
        out["rows_per_second"] = round(self.rows_loaded / self.seconds) if self.seconds else 0
        out["mb_per_second"] = (
            round(self.bytes_loaded / 1e6 / self.seconds, 2) if self.seconds else 0.0
        )
        out["seconds"] = round(self.seconds, 3)
        return out


def peak_rss_mb() -> float | None:
    """This process's peak resident memory since it started (VmHWM, which unlike
    ru_maxrss does not count what the parent held before exec)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


class Progress:
    """A one-line display on a terminal, plain log lines otherwise."""

    def __init__(self, summary: Summary, tty: bool) -> None:
        self.summary = summary
        self.tty = tty
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.partial_rows = 0
        self.partial_bytes = 0.0
        self.last_draw = 0.0

    def rows(self, n: int, bytes_estimate: float) -> None:
        with self.lock:
            self.partial_rows += n
            self.partial_bytes += bytes_estimate
            self._draw()

    def file_done(self, obj: discovery.ObjectInfo, outcome: str, detail: str) -> None:
        with self.lock:
            if self.tty:
                if outcome == "rejected":
                    self._clear()
                    print(f"rejected {obj.key}: {detail}", file=sys.stderr)
                self._draw(force=True)
            elif outcome == "rejected":
                log.warning("rejected %s: %s", obj.key, detail)
            else:
                self._log_line()

    def reset_partial(self) -> None:
        with self.lock:
            self.partial_rows = 0
            self.partial_bytes = 0.0

    def _clear(self) -> None:
        sys.stderr.write("\r\x1b[2K")

    def _status(self, now: float) -> str:
        s = self.summary
        elapsed = max(now - self.started, 1e-6)
        rows = s.rows_loaded + self.partial_rows
        mb = (s.bytes_loaded + self.partial_bytes) / 1e6
        return (
            f"files {s.files_loaded} loaded, {s.files_rejected} rejected, "
            f"{s.files_skipped} skipped of {s.objects_seen} seen | rows {rows:,} "
            f"({rows / elapsed:,.0f}/s) | {mb / elapsed:.1f} MB/s"
        )

    def _draw(self, force: bool = False) -> None:
        if not self.tty:
            return
        now = time.monotonic()
        if not force and now - self.last_draw < 0.2:
            return
        self.last_draw = now
        sys.stderr.write(f"\r\x1b[2K{self._status(now)}")
        sys.stderr.flush()

    def _log_line(self) -> None:
        """Off a terminal: one progress line every LOG_INTERVAL seconds, not one per file."""
        now = time.monotonic()
        if now - self.last_draw >= LOG_INTERVAL:
            self.last_draw = now
            log.info("%s", self._status(now))

    def close(self) -> None:
        if self.tty:
            self._draw(force=True)
            sys.stderr.write("\n")


def connect_with_retries() -> psycopg.Connection:
    delay = 0.5
    for attempt in range(1, CONNECT_ATTEMPTS + 1):
        try:
            conn = database.connect()
            conn.execute("set client_encoding to 'UTF8'")
            conn.commit()
            return conn
        except psycopg.OperationalError as exc:
            if attempt == CONNECT_ATTEMPTS:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                raise Fatal(
                    f"cannot reach the database after {attempt} attempts: {first}"
                ) from None
        except Exception as exc:  # e.g. the embedded server failing to start
            raise Fatal(f"cannot reach the database: {type(exc).__name__}: {exc}") from None
        time.sleep(delay)
        delay *= 2
    raise AssertionError("unreachable")


class Loader:
    def __init__(self, source: Source, endpoint_url: str | None, workers: int, tty: bool):
        self.source = source
        self.summary = Summary(source=source.uri)
        self.progress = Progress(self.summary, tty)
        self.lock = threading.Lock()
        self.workers = max(1, workers)
        self.client = discovery.s3_client(endpoint_url) if source.kind == "s3" else None
        self.local = threading.local()
        self.connections: list[psycopg.Connection] = []
        self.run_id: int | None = None

    # one connection per worker thread
    def conn(self) -> psycopg.Connection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = connect_with_retries()
            self.local.conn = conn
            with self.lock:
                self.connections.append(conn)
        return conn

    def run(self, objects: Iterable[discovery.ObjectInfo] | None = None) -> Summary:
        """Load what the listing finds (or just `objects`), skipping versions already recorded."""
        started = time.monotonic()
        conn = self.conn()
        schema.migrate(conn)
        self.run_id = manifest.start_run(conn, self.source.uri)
        self.summary.load_run_id = self.run_id
        known = manifest.known_objects(conn, self.source.uri)
        try:
            self._load_all(self._new_objects(known, objects))
            self.summary.status = "succeeded"
        except BaseException:
            self.summary.status = "failed"
            raise
        finally:
            self.summary.seconds = time.monotonic() - started
            self.progress.close()
            self._finish()
        return self.summary

    def _new_objects(
        self, known: set[tuple[str, str]], objects: Iterable[discovery.ObjectInfo] | None
    ) -> Iterator[discovery.ObjectInfo]:
        try:
            for obj in (
                objects if objects is not None else discovery.list_objects(self.source, self.client)
            ):
                with self.lock:
                    self.summary.objects_seen += 1
                    if (obj.uri, obj.etag) in known:
                        self.summary.files_skipped += 1
                        continue
                yield obj
        except discovery.SourceUnreachable as exc:
            raise Fatal(str(exc)) from None

    def _load_all(self, objects: Iterator[discovery.ObjectInfo]) -> None:
        if self.workers == 1:
            for obj in objects:
                self.load_one(obj)
            return
        with ThreadPoolExecutor(self.workers, thread_name_prefix="resi-load") as pool:
            pending: set[Future] = set()
            for obj in objects:
                pending.add(pool.submit(self.load_one, obj))
                if len(pending) >= 2 * self.workers:
                    done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                    for future in done:
                        future.result()
            for future in pending:
                future.result()

    def _finish(self) -> None:
        counts = self.summary.__dict__
        status = "succeeded" if self.summary.status == "succeeded" else "failed"
        for conn in self.connections:
            if conn.closed:
                continue
            try:
                if conn is self.connections[0] and self.run_id is not None:
                    conn.rollback()
                    manifest.finish_run(conn, self.run_id, counts, status)
            except psycopg.Error:
                pass
            finally:
                conn.close()

    def _reject(self, obj, claims, reason, sha256=None, schema_json=None) -> None:
        try:
            inserted = manifest.record_reject(
                self.conn(), obj, claims, self.run_id, reason, sha256, schema_json
            )
        except psycopg.OperationalError as exc:
            raise Fatal(f"lost the database connection: {exc}") from None
        with self.lock:
            if inserted:
                self.summary.files_rejected += 1
                self.summary.rejects.append({"uri": obj.uri, "reason": reason})
            else:
                self.summary.files_skipped += 1
        self.progress.file_done(obj, "rejected" if inserted else "skipped", reason)

    def load_one(self, obj: discovery.ObjectInfo) -> None:
        try:
            claims = parse_key(obj.relative_key)
        except KeyRejected as exc:
            self._reject(obj, None, str(exc))
            return
        try:
            fetched = discovery.fetch(obj, self.source, self.client)
        except discovery.FetchFailed as exc:
            with self.lock:
                self.summary.fetch_errors += 1
                self.summary.errors.append({"uri": obj.uri, "error": str(exc)})
            log.error("%s (left for the next run)", exc)
            return
        try:
            self._load_fetched(obj, claims, fetched)
        finally:
            fetched.close()

    def _load_fetched(self, obj, claims, fetched: discovery.Fetched) -> None:
        try:
            parquet = reading.open_parquet(fetched.path)
            schema_json = reading.schema_json(parquet)
        except reading.UnreadableFile as exc:
            self._reject(obj, claims, str(exc), fetched.sha256)
            return
        conn = self.conn()
        total_rows = max(parquet.metadata.num_rows, 1)
        bytes_per_row = obj.size / total_rows
        try:
            with conn.transaction():
                file_id = manifest.claim(
                    conn, obj, claims, self.run_id, fetched.sha256, schema_json
                )
                if file_id is None:
                    with self.lock:
                        self.summary.files_skipped += 1
                    self.progress.file_done(obj, "skipped", "loaded by another run")
                    return
                rows = copying.copy_rows(
                    conn,
                    file_id,
                    reading.iter_text_batches(parquet),
                    lambda n: self.progress.rows(n, n * bytes_per_row),
                )
                manifest.complete(conn, file_id, rows)
        except reading.UnreadableFile as exc:
            self.progress.reset_partial()
            self._reject(obj, claims, str(exc), fetched.sha256, schema_json)
            return
        except (psycopg.errors.DataError, psycopg.errors.ProgramLimitExceeded) as exc:
            self.progress.reset_partial()
            diag = exc.diag
            where = f" ({diag.context.strip().splitlines()[0]})" if diag.context else ""
            reason = f"PostgreSQL refused a value: {diag.message_primary or exc}{where}"
            self._reject(obj, claims, reason, fetched.sha256, schema_json)
            return
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise Fatal(f"lost the database connection: {str(exc).strip()}") from None
        self.progress.reset_partial()
        with self.lock:
            self.summary.files_loaded += 1
            self.summary.rows_loaded += rows
            self.summary.bytes_loaded += obj.size
        detail = f"{rows:,} rows"
        if rows != claims.claimed_record_count:
            detail += f" (key claims {claims.claimed_record_count:,})"
        self.progress.file_done(obj, "loaded", detail)


def load_objects(
    source: Source, objects: Iterable[discovery.ObjectInfo], endpoint_url: str | None = None
) -> Summary:
    """One load run over the given objects of `source` (those not yet recorded), for callers
    that learn of objects otherwise than by listing (`resi watch`). Raises Fatal."""
    return Loader(source, endpoint_url, workers=1, tty=False).run(objects)


def print_summary(summary: Summary, stream) -> None:
    d = summary.as_dict()
    print(
        f"{summary.source}: {d['objects_seen']} objects seen, {d['files_loaded']} loaded "
        f"({d['rows_loaded']:,} rows, {d['rows_per_second']:,} rows/s, "
        f"{d['mb_per_second']} MB/s), {d['files_rejected']} rejected, "
        f"{d['files_skipped']} already loaded, {d['fetch_errors']} fetch errors "
        f"in {d['seconds']:.1f} s (run {d['load_run_id']})",
        file=stream,
    )
    if summary.files_loaded == 0 and summary.files_rejected == 0 and not summary.fetch_errors:
        print("nothing new to load", file=stream)
    for item in summary.rejects[:20]:
        print(f"  rejected {item['uri']}: {item['reason']}", file=stream)
    if len(summary.rejects) > 20:
        print(f"  ... and {len(summary.rejects) - 20} more rejects", file=stream)
    if summary.rejects:
        print("  (every reject is in raw.source_files where status = 'rejected')", file=stream)


def main(args: argparse.Namespace) -> int:
    _use_a_frugal_allocator()
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    log.setLevel(logging.INFO)
    try:
        source = parse_source(args.source)
    except ValueError as exc:
        print(f"resi load: {exc}", file=sys.stderr)
        return 2
    workers = getattr(args, "workers", None) or 1
    loader = None
    try:
        loader = Loader(source, getattr(args, "endpoint_url", None), workers, sys.stderr.isatty())
        summary = loader.run()
    except Fatal as exc:
        print(f"resi load: {exc}", file=sys.stderr)
        if loader is not None and args.json:
            print(json.dumps(loader.summary.as_dict(), default=str))
        return 2
    except KeyboardInterrupt:
        print(
            "resi load: interrupted; files not committed will load on the next run", file=sys.stderr
        )
        return 130
    if args.json:
        print(json.dumps(summary.as_dict(), default=str))
        print_summary(summary, sys.stderr)
    else:
        print_summary(summary, sys.stdout)
    if summary.fetch_errors:
        return 1
    if args.strict and summary.files_rejected:
        print(f"resi load: --strict: {summary.files_rejected} files rejected", file=sys.stderr)
        return 1
    return 0
