"""Watcher state in the database: raw.watcher_state, one row per watched source.

A running watcher holds a session advisory lock (WATCH_LOCK, hashtext(source)) for its whole
life, so "running" is a fact the server knows, not a flag a killed process left behind:
`watcher_state()` reports a watcher as running only while that lock is held.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from typing import Any

import psycopg
from psycopg import sql

WATCH_LOCK = 0x77617463  # 'watc'

FIELDS = (
    "mode",
    "queue_url",
    "host",
    "pid",
    "running_since",
    "stopped_at",
    "last_poll_at",
    "last_load_at",
    "files_loaded",
    "backlog",
    "last_build_started_at",
    "last_build_at",
    "last_build_status",
    "last_build_seconds",
    "last_rebuild_at",
    "last_error",
    "last_error_at",
    "open_alerts",
)

_LOCK_HELD = """
    exists (
        select 1 from pg_locks
        where locktype = 'advisory' and granted and objsubid = 2
          and classid = %s::bigint::oid
          and objid = (hashtext(w.source)::bigint & 4294967295)::oid
    )
"""


class AlreadyWatched(RuntimeError):
    """Another `resi watch` holds this source."""


def hold(conn: psycopg.Connection, source: str) -> bool:
    """Take the source's watcher lock for this session; False if another session has it."""
    with conn.transaction():
        got = conn.execute(
            "select pg_try_advisory_lock(%s, hashtext(%s))", [WATCH_LOCK, source]
        ).fetchone()
    return bool(got and got[0])


def register(conn: psycopg.Connection, source: str, mode: str, queue_url: str | None) -> None:
    """Claim the source for this process (session lock) and mark it running."""
    if not hold(conn, source):
        raise AlreadyWatched(f"another `resi watch` is already watching {source}")
    with conn.transaction():
        conn.execute(
            """
            insert into raw.watcher_state (source, mode, queue_url, host, pid, running_since)
            values (%s, %s, %s, %s, %s, now())
            on conflict (source) do update set
                mode = excluded.mode, queue_url = excluded.queue_url, host = excluded.host,
                pid = excluded.pid, running_since = now(), stopped_at = null, backlog = 0,
                updated_at = now()
            """,
            [source, mode, queue_url, socket.gethostname(), os.getpid()],
        )


def update(conn: psycopg.Connection, source: str, **values: Any) -> None:
    """Set some fields of the source's row (names from FIELDS; `now` as a value is now())."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown watcher_state fields: {sorted(unknown)}")
    assignments = [
        sql.SQL("{} = now()").format(sql.Identifier(name))
        if value == "now"
        else sql.SQL("{} = {}").format(sql.Identifier(name), sql.Placeholder())
        for name, value in values.items()
    ]
    params = [value for value in values.values() if value != "now"]
    query = sql.SQL("update raw.watcher_state set {}, updated_at = now() where source = %s")
    with conn.transaction():
        conn.execute(query.format(sql.SQL(", ").join(assignments)), [*params, source])


def record_error(conn: psycopg.Connection, source: str, message: str) -> None:
    update(conn, source, last_error=message[:2000], last_error_at="now")


def unregister(conn: psycopg.Connection, source: str) -> None:
    update(conn, source, stopped_at="now", pid=None)
    with conn.transaction():
        conn.execute("select pg_advisory_unlock(%s, hashtext(%s))", [WATCH_LOCK, source])


def last_successful_build(conn: psycopg.Connection) -> Any:
    """When the latest successful build by any watcher started (None if never)."""
    with conn.transaction():
        row = conn.execute(
            "select max(last_build_started_at) from raw.watcher_state"
            " where last_build_status = 'succeeded'"
        ).fetchone()
    return row[0] if row else None


def watcher_state(conn: psycopg.Connection) -> dict[str, Any]:
    """Every watcher's state, for `resi summary` and the API's health: {"watchers": [...]},
    each with `running` (its lock is held right now) beside the stored fields."""
    exists = conn.execute("select to_regclass('raw.watcher_state') is not null").fetchone()
    if not (exists and exists[0]):
        return {"watchers": []}
    columns = ", ".join(f"w.{name}" for name in FIELDS)
    cur = conn.execute(
        f"select w.source, {_LOCK_HELD} as running, {columns}, w.updated_at"
        " from raw.watcher_state as w order by w.source",
        [WATCH_LOCK],
    )
    names = [d.name for d in cur.description or []]
    return {"watchers": [dict(zip(names, row, strict=True)) for row in cur.fetchall()]}


def _ago(value: Any) -> str:
    if value is None:
        return "never"
    seconds = (dt.datetime.now(dt.UTC) - value).total_seconds()
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


def summary_lines(conn: psycopg.Connection) -> list[str]:
    """A few lines per watcher for `resi summary` (none when nothing ever watched)."""
    lines = []
    for w in watcher_state(conn)["watchers"]:
        stopped = _ago(w["stopped_at"] or w["updated_at"])
        status = "running" if w["running"] else f"stopped ({stopped})"
        lines.append(f"watcher           {status}, {w['mode']}, {w['source']}")
        build = w["last_build_status"] or "none"
        lines.append(
            f"  last poll {_ago(w['last_poll_at'])}, last load {_ago(w['last_load_at'])},"
            f" last build {build} {_ago(w['last_build_at'])}, backlog {w['backlog']}"
        )
        if w["last_error"]:
            lines.append(f"  last error ({_ago(w['last_error_at'])}): {w['last_error'][:120]}")
    return lines
