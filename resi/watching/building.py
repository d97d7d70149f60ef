"""dbt builds for `resi watch` and `resi rebuild`: one builder at a time, across processes.

The builder holds a PostgreSQL session advisory lock (BUILD_LOCK) for the length of the dbt
run, so two watchers (or a watcher and `resi rebuild`) never build at once; the second
waits. dbt runs as a child process that can be interrupted: on SIGTERM the watcher sends
it SIGINT, dbt cancels its queries (each model's transaction rolls back) and the next
build picks up where this one stopped.

- incremental build: `dbt build --exclude resource_type:seed` (the first build of a
  watcher's life runs `dbt build` with the seeds, so a fresh database gets them);
- the daily consensus rebuild: `dbt build --full-refresh` of the intermediate models and
  the marts (consensus, attestations, quality): everything computed over the whole
  history, from the staging tables, which only ever append typed rows;
- `resi rebuild --all`: seeds and every model and test from scratch, after a mapping seed
  or a model's logic changed.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from loader import schema
from resi import PROJECT_ROOT
from resi.database import connection as database

log = logging.getLogger("resi.watch")

BUILD_LOCK = 0x64627462  # 'dbtb'

INCREMENTAL = ["build", "--exclude", "resource_type:seed"]
FIRST = ["build"]
REBUILD_CONSENSUS = [
    "build",
    "--full-refresh",
    "--select",
    "path:models/intermediate",
    "path:models/marts",
]
REBUILD_ALL = ["build", "--full-refresh"]
DBT_GRACE_SECONDS = 30.0  # after SIGINT, before SIGKILL


@dataclass
class BuildResult:
    args: list[str]
    returncode: int
    seconds: float
    interrupted: bool = False

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0 and not self.interrupted


def dbt_executable() -> str:
    dbt = Path(sys.executable).with_name("dbt")
    return str(dbt) if dbt.exists() else (shutil.which("dbt") or "dbt")


def _dbt_env() -> dict[str, str]:
    env = os.environ.copy()
    env.update(database.libpq_env())
    env.setdefault("DBT_PROFILES_DIR", str(PROJECT_ROOT))
    env.setdefault("DBT_PROJECT_DIR", str(PROJECT_ROOT))
    return env


def _acquire(conn: psycopg.Connection, stop: threading.Event) -> bool:
    """Wait for the build lock; False if asked to stop meanwhile."""
    waited = False
    while True:
        row = conn.execute("select pg_try_advisory_lock(%s)", [BUILD_LOCK]).fetchone()
        if row and row[0]:
            return True
        if not waited:
            log.info("another build is running; waiting for it")
            waited = True
        if stop.wait(1.0):
            return False


def run_build(
    dbt_args: list[str], stop: threading.Event | None = None, quiet: bool = True
) -> BuildResult:
    """Run `dbt ARGS` under the build lock; stop.set() interrupts it (SIGINT to dbt)."""
    stop = stop or threading.Event()
    args = [*dbt_args, "--quiet"] if quiet and "--quiet" not in dbt_args else list(dbt_args)
    started = time.monotonic()
    with database.connect(autocommit=True) as conn:
        schema.migrate(conn)
        if not _acquire(conn, stop):
            return BuildResult(args, 130, 0.0, interrupted=True)
        try:
            child = subprocess.Popen(
                [dbt_executable(), *args], env=_dbt_env(), cwd=PROJECT_ROOT, start_new_session=True
            )
            interrupted_at: float | None = None
            while child.poll() is None:
                if stop.wait(0.5) and interrupted_at is None:
                    log.info("stopping: interrupting dbt (its models roll back)")
                    child.send_signal(signal.SIGINT)
                    interrupted_at = time.monotonic()
                elif interrupted_at and time.monotonic() - interrupted_at > DBT_GRACE_SECONDS:
                    child.kill()  # the server rolls back what a killed dbt left open
            interrupted = interrupted_at is not None
            return BuildResult(args, child.returncode, time.monotonic() - started, interrupted)
        finally:
            conn.execute("select pg_advisory_unlock(%s)", [BUILD_LOCK])
