"""The manifest: raw.load_runs and raw.source_files. Every value is a query parameter.

Exactly once per (source_uri, etag): a file is claimed by inserting its manifest row with
`on conflict (source_uri, etag) do nothing returning file_id` in the same transaction
that then COPYs its rows and fills in counts, hash and schema. A second loader inserting
the same pair waits on the unique index until the first commits (then skips the file) or
rolls back (then loads it itself). A crash leaves neither the manifest row nor any rows.
"""

from __future__ import annotations

import psycopg
from psycopg.types.json import Jsonb

from loader.discovery import ObjectInfo
from loader.paths import KeyClaims

# Advisory-lock class of load runs: a running loader holds (RUN_LOCK, load_run_id) for
# its whole session, so a 'running' row whose lock is free belongs to a dead loader.
RUN_LOCK = 0x72657369


def start_run(conn: psycopg.Connection, source: str) -> int:
    close_orphaned_runs(conn)
    with conn.transaction():
        row = conn.execute(
            "insert into raw.load_runs (source) values (%s) returning load_run_id", [source]
        ).fetchone()
        conn.execute("select pg_advisory_lock(%s, %s::integer)", [RUN_LOCK, row[0]])
    return row[0]


def close_orphaned_runs(conn: psycopg.Connection) -> list[int]:
    """Mark 'failed' the runs left 'running' by a loader that died (kill -9, lost host):
    their files are whole or absent already; only the run's own row needs closing."""
    closed = []
    with conn.transaction():
        running = conn.execute(
            "select load_run_id from raw.load_runs where status = 'running'"
        ).fetchall()
    for (run_id,) in running:
        with conn.transaction():
            owner_gone = conn.execute(
                "select pg_try_advisory_lock(%s, %s::integer)", [RUN_LOCK, run_id]
            ).fetchone()[0]
            if not owner_gone:
                continue
            conn.execute(
                "update raw.load_runs set status = 'failed', finished_at = now()"
                " where load_run_id = %s and status = 'running'",
                [run_id],
            )
            conn.execute("select pg_advisory_unlock(%s, %s::integer)", [RUN_LOCK, run_id])
            closed.append(run_id)
    return closed


def finish_run(conn: psycopg.Connection, run_id: int, counts: dict, status: str) -> None:
    with conn.transaction():
        conn.execute(
            """
            update raw.load_runs
               set finished_at = now(), objects_seen = %s, files_loaded = %s,
                   files_rejected = %s, files_skipped = %s, objects_skipped = %s,
                   rows_loaded = %s, status = %s
             where load_run_id = %s
            """,
            [
                counts["objects_seen"],
                counts["files_loaded"],
                counts["files_rejected"],
                counts["files_skipped"],
                counts["objects_skipped"],
                counts["rows_loaded"],
                status,
                run_id,
            ],
        )


def analyze_raw(conn: psycopg.Connection) -> None:
    """Refresh the planner's statistics of the raw tables after a load that added rows.

    dbt reads them next; without statistics PostgreSQL guessed 2,430 rows for a
    million-row `listing_rows` and planned disk sorts for joins with 20-row seeds.
    """
    with conn.transaction():
        conn.execute("analyze raw.source_files, raw.listing_rows")


def known_objects(conn: psycopg.Connection, source_uri: str) -> set[tuple[str, str]]:
    """(source_uri, etag) of every object version already recorded under the source,
    whatever its status: loaded, rejected and skipped objects are not examined again."""
    with conn.transaction():
        exists = conn.execute("select to_regclass('raw.source_files') is not null").fetchone()
        if not exists[0]:
            return set()
        rows = conn.execute(
            "select source_uri, etag from raw.source_files where starts_with(source_uri, %s)",
            [source_uri],
        ).fetchall()
    return set(rows)


def rejects_on_record(conn: psycopg.Connection, source_uri: str) -> int:
    """How many object versions under the source are recorded as rejected, by any run."""
    with conn.transaction():
        row = conn.execute(
            "select count(*) from raw.source_files"
            " where status = 'rejected' and starts_with(source_uri, %s)",
            [source_uri],
        ).fetchone()
    return row[0]


_INSERT = """
insert into raw.source_files (
    source_uri, bucket, key, etag, size_bytes, last_modified,
    hotkey, job_id, claimed_timestamp, claimed_record_count,
    row_count, content_sha256, arrow_schema, status, reject_reason, load_run_id
) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
on conflict (source_uri, etag) do nothing
returning file_id
"""


def _params(
    obj: ObjectInfo,
    claims: KeyClaims | None,
    run_id: int,
    status: str,
    reason: str | None,
    sha256: str | None,
    schema: dict | None,
) -> list:
    return [
        obj.uri,
        obj.bucket,
        obj.key,
        obj.etag,
        obj.size,
        obj.last_modified,
        *(
            (claims.hotkey, claims.job_id, claims.claimed_timestamp, claims.claimed_record_count)
            if claims
            else (None, None, None, None)
        ),
        None,
        sha256,
        Jsonb(schema) if schema is not None else None,
        status,
        reason,
        run_id,
    ]


def claim(
    conn: psycopg.Connection,
    obj: ObjectInfo,
    claims: KeyClaims,
    run_id: int,
    sha256: str,
    schema: dict,
) -> int | None:
    """Insert the manifest row of a file about to be loaded, in the caller's transaction;
    None when another run already holds this (source_uri, etag)."""
    row = conn.execute(_INSERT, _params(obj, claims, run_id, "loaded", None, sha256, schema))
    found = row.fetchone()
    return found[0] if found else None


def complete(conn: psycopg.Connection, file_id: int, row_count: int) -> None:
    conn.execute(
        "update raw.source_files set row_count = %s, loaded_at = clock_timestamp()"
        " where file_id = %s",
        [row_count, file_id],
    )


def record_unloaded(
    conn: psycopg.Connection,
    obj: ObjectInfo,
    claims: KeyClaims | None,
    run_id: int,
    reason: str,
    status: str = "rejected",
    sha256: str | None = None,
    schema: dict | None = None,
) -> bool:
    """Record an object as rejected (a listing file that cannot be loaded) or skipped (not
    a listing file), with the reason, in its own transaction; False if it was already
    recorded (e.g. by a concurrent loader)."""
    with conn.transaction():
        row = conn.execute(
            _INSERT, _params(obj, claims, run_id, status, reason, sha256, schema)
        ).fetchone()
    return row is not None
