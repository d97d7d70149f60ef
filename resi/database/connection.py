"""One way to reach the database: the libpq variables PGHOST, PGPORT, PGUSER, PGPASSWORD
and PGDATABASE. With no PGHOST the project's embedded PostgreSQL is used (and started);
PGDATABASE still names the database there (default `resi`, created on demand).
"""

from __future__ import annotations

import getpass
import os

import psycopg

from resi.database import embedded


def is_embedded() -> bool:
    return not os.environ.get("PGHOST")


def libpq_env() -> dict[str, str]:
    """The complete set of libpq variables for the database in use.

    Unset variables get libpq's own defaults, so that dbt (which needs every value spelled
    out) and psycopg (which reads the environment itself) reach the same database.
    """
    if is_embedded():
        database = os.environ.get("PGDATABASE") or embedded.DEFAULT_DATABASE
        env = embedded.start(database).libpq_env()
        # a role of `resi db roles` to connect as (see resi/database/roles.py)
        env["PGUSER"] = os.environ.get("RESI_DB_USER") or env["PGUSER"]
        return env
    user = os.environ.get("RESI_DB_USER") or os.environ.get("PGUSER") or getpass.getuser()
    env = {
        "PGHOST": os.environ["PGHOST"],
        "PGPORT": os.environ.get("PGPORT") or "5432",
        "PGUSER": user,
        "PGDATABASE": os.environ.get("PGDATABASE") or user,
    }
    if os.environ.get("PGPASSWORD"):
        env["PGPASSWORD"] = os.environ["PGPASSWORD"]
    return env


def use_database() -> dict[str, str]:
    """Resolve the database and export its variables into this process's environment,
    so that psycopg, dbt and child processes all see the same one."""
    env = libpq_env()
    os.environ.update(env)
    return env


class DatabaseUnreachable(psycopg.OperationalError):
    """The database does not answer; the message is one line a person can act on. (An
    OperationalError, so code that caught psycopg's own still catches it.)"""


def first_line(exc: BaseException | None) -> str:
    """The first line of an error's message (libpq's are several lines long)."""
    text = str(exc).strip() if exc is not None else ""
    return text.splitlines()[0] if text else repr(exc)


def connect_kwargs() -> dict[str, str | None]:
    """psycopg.connect() arguments for the database in use (resolved and exported)."""
    env = use_database()
    return {
        "host": env["PGHOST"],
        "port": env["PGPORT"],
        "user": env["PGUSER"],
        "dbname": env["PGDATABASE"],
        "password": env.get("PGPASSWORD"),
    }


def connect(autocommit: bool = False) -> psycopg.Connection:
    """A connection to the database in use. Raises DatabaseUnreachable."""
    try:
        return psycopg.connect(**connect_kwargs(), autocommit=autocommit, application_name="resi")
    except psycopg.OperationalError as exc:
        raise DatabaseUnreachable(f"cannot reach the database: {first_line(exc)}") from None


def ping() -> None:
    """Check that the server really answers a query. Raises DatabaseUnreachable."""
    with connect(autocommit=True) as conn:
        conn.execute("select 1").fetchone()


def describe(env: dict[str, str]) -> str:
    server = embedded.status()
    where = "embedded" if server and server.socket_dir == env["PGHOST"] else "external"
    return f"{where} PostgreSQL {env['PGUSER']}@{env['PGHOST']}:{env['PGPORT']}/{env['PGDATABASE']}"
