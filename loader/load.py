"""The loader proper: every new miner file of a source into raw, exactly once.

discover (list objects, filtered by the selection) → skip the (source_uri, etag) pairs
already recorded → set aside objects that are not listing files (recorded as skipped) →
parse the key → fetch (S3: to a temporary file, hashing on the way) → open the Parquet
footer → one transaction per file: claim the manifest row, COPY the rows batch by batch,
fill in the row count → commit. Whatever cannot be read is recorded as rejected with a
reason. `plan()` answers what a run would do without loading or recording anything.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

import psycopg

from loader import copying, discovery, manifest, reading, schema
from loader.outcome import Plan, Summary
from loader.paths import KeyClaims, KeyRejected, Source, not_a_listing_file, parse_key
from loader.progress import Progress, log
from loader.retries import Fatal, connect_with_retries
from loader.selection import Selection


@dataclass(frozen=True)
class Options:
    endpoint_url: str | None = None
    profile: str | None = None
    unsigned: bool = False  # anonymous S3 requests (a public bucket)
    workers: int = 1
    selection: Selection = field(default_factory=Selection)


class Loader:
    def __init__(self, source: Source, options: Options = Options()) -> None:
        self.source = source
        self.options = options
        self.summary = Summary(source=source.uri)
        self.lock = threading.Lock()
        self.workers = max(1, options.workers)
        self.client = None
        if source.kind == "s3":
            try:
                self.client = discovery.s3_client(
                    options.endpoint_url, options.profile, options.unsigned
                )
            except discovery.SourceUnreachable as exc:
                raise Fatal(str(exc)) from None
        self.local = threading.local()
        self.connections: list[psycopg.Connection] = []
        self.run_id: int | None = None
        self.progress: Progress | None = None

    # one connection per worker thread
    def conn(self) -> psycopg.Connection:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = connect_with_retries()
            self.local.conn = conn
            with self.lock:
                self.connections.append(conn)
        return conn

    def plan(self) -> Plan:
        """What a run would load (and set aside), loading and recording nothing."""
        plan = Plan(source=self.source.uri)
        with connect_with_retries() as conn:
            known = manifest.known_objects(conn, self.source.uri)
        for obj in self._selected():
            plan.objects_seen += 1
            if (obj.uri, obj.etag) in known:
                plan.already_recorded += 1
            elif not_a_listing_file(obj.relative_key):
                plan.not_listing_files += 1
            else:
                plan.to_load.append((obj.uri, obj.size))
        return plan

    def run(
        self,
        progress: Progress | None = None,
        objects: Iterable[discovery.ObjectInfo] | None = None,
    ) -> Summary:
        """Load what the listing finds (or just `objects`), skipping versions already recorded."""
        started = time.monotonic()
        self.progress = progress or Progress(self.summary)
        conn = self.conn()
        schema.migrate(conn)
        self.run_id = manifest.start_run(conn, self.source.uri)
        self.summary.load_run_id = self.run_id
        known = manifest.known_objects(conn, self.source.uri)
        try:
            self._load_all(self._new_objects(known, objects))
            self.summary.rejects_on_record = manifest.rejects_on_record(conn, self.source.uri)
            self.summary.status = "succeeded"
        except BaseException:
            self.summary.status = "failed"
            raise
        finally:
            self.summary.seconds = time.monotonic() - started
            self.progress.close()
            self._finish()
        return self.summary

    def _selected(self) -> Iterator[discovery.ObjectInfo]:
        listing = discovery.list_objects(self.source, self.client, self.options.selection.hotkeys)
        try:
            yield from (obj for obj in listing if self.options.selection.wants(obj))
        except discovery.SourceUnreachable as exc:
            raise Fatal(str(exc)) from None

    def _new_objects(
        self, known: set[tuple[str, str]], objects: Iterable[discovery.ObjectInfo] | None = None
    ) -> Iterator[discovery.ObjectInfo]:
        for obj in self._selected() if objects is None else objects:
            with self.lock:
                self.summary.objects_seen += 1
                if (obj.uri, obj.etag) in known:
                    self.summary.files_skipped += 1
                    continue
            yield obj

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
                    if self.summary.files_loaded:
                        manifest.analyze_raw(conn)
            except psycopg.Error:
                pass
            finally:
                conn.close()

    def _record_unloaded(
        self,
        obj: discovery.ObjectInfo,
        claims: KeyClaims | None,
        reason: str,
        status: str = "rejected",
        sha256: str | None = None,
        schema_json: dict | None = None,
    ) -> None:
        try:
            inserted = manifest.record_unloaded(
                self.conn(), obj, claims, self.run_id, reason, status, sha256, schema_json
            )
        except psycopg.OperationalError as exc:
            raise Fatal(f"lost the database connection: {exc}") from None
        with self.lock:
            if not inserted:
                self.summary.files_skipped += 1
            elif status == "skipped":
                self.summary.objects_skipped += 1
            else:
                self.summary.files_rejected += 1
                self.summary.rejects.append({"uri": obj.uri, "reason": reason})
        self.progress.file_done(obj, status if inserted else "skipped", reason)

    def load_one(self, obj: discovery.ObjectInfo) -> None:
        reason = not_a_listing_file(obj.relative_key)
        if reason is not None:
            self._record_unloaded(obj, None, reason, status="skipped")
            return
        try:
            claims = parse_key(obj.relative_key)
        except KeyRejected as exc:
            self._record_unloaded(obj, exc.claims, str(exc))
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

    def _load_fetched(self, obj, claims: KeyClaims, fetched: discovery.Fetched) -> None:
        try:
            parquet = reading.open_parquet(fetched.path)
            schema_json = reading.schema_json(parquet)
        except reading.UnreadableFile as exc:
            self._record_unloaded(obj, claims, str(exc), sha256=fetched.sha256)
            return
        try:
            rows = self._copy(obj, claims, fetched, parquet, schema_json)
        except reading.UnreadableFile as exc:
            reason = str(exc)
        except (psycopg.errors.DataError, psycopg.errors.ProgramLimitExceeded) as exc:
            diag = exc.diag
            where = f" ({diag.context.strip().splitlines()[0]})" if diag.context else ""
            reason = f"PostgreSQL refused a value: {diag.message_primary or exc}{where}"
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise Fatal(f"lost the database connection: {str(exc).strip()}") from None
        else:
            if rows is not None:
                self._count_loaded(obj, claims, rows)
            return
        finally:
            self.progress.reset_partial()
        self._record_unloaded(obj, claims, reason, sha256=fetched.sha256, schema_json=schema_json)

    def _copy(self, obj, claims: KeyClaims, fetched, parquet, schema_json) -> int | None:
        """The file's rows into raw with its manifest row, in one transaction; None when
        another run holds the file already."""
        conn = self.conn()
        bytes_per_row = obj.size / max(parquet.metadata.num_rows, 1)
        with conn.transaction():
            file_id = manifest.claim(conn, obj, claims, self.run_id, fetched.sha256, schema_json)
            if file_id is None:
                with self.lock:
                    self.summary.files_skipped += 1
                self.progress.file_done(obj, "skipped", "loaded by another run")
                return None
            rows = copying.copy_rows(
                conn,
                file_id,
                reading.iter_text_batches(parquet),
                lambda n: self.progress.rows(n, n * bytes_per_row),
            )
            manifest.complete(conn, file_id, rows)
        return rows

    def _count_loaded(self, obj, claims: KeyClaims, rows: int) -> None:
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
    return Loader(source, Options(endpoint_url=endpoint_url)).run(objects=objects)
