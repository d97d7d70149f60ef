"""Reaching the database with retries (tenacity): a server that is still starting, or a
network blip, costs a few seconds instead of the run."""

from __future__ import annotations

import os

import psycopg
from tenacity import (
    RetryError,
    retry,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from resi.database import connection as database

CONNECT_ATTEMPTS = int(os.environ.get("RESI_CONNECT_ATTEMPTS", "4"))


class Fatal(Exception):
    """The run cannot go on (database or source unreachable); the message is one line."""


@retry(
    retry=retry_if_exception_type(psycopg.OperationalError),
    stop=stop_after_attempt(CONNECT_ATTEMPTS),
    wait=wait_exponential(multiplier=0.5, max=8),
)
def _connect() -> psycopg.Connection:
    conn = psycopg.connect(**database.connect_kwargs(), application_name="resi load")
    conn.execute("set client_encoding to 'UTF8'")
    conn.commit()
    return conn


def connect_with_retries() -> psycopg.Connection:
    """A connection, after up to CONNECT_ATTEMPTS tries with exponential backoff
    (0.5 s, 1 s, 2 s, ...). Raises Fatal with one line."""
    try:
        return _connect()
    except RetryError as exc:
        last = exc.last_attempt.exception()
        raise Fatal(
            f"cannot reach the database after {CONNECT_ATTEMPTS} attempts: "
            f"{database.first_line(last)}"
        ) from None
    except Exception as exc:  # e.g. the embedded server failing to start
        raise Fatal(f"cannot reach the database: {type(exc).__name__}: {exc}") from None
