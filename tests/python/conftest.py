"""Shared fixtures: a scratch database on the PostgreSQL in use (PG* or the embedded one)
and a real S3 endpoint (moto's ThreadedMotoServer)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from loader import database, schema


@pytest.fixture(scope="session")
def server_env() -> dict[str, str]:
    """libpq variables of the server in use (starts the embedded one when PGHOST is unset)."""
    return database.libpq_env()


def _admin_connect(env: dict[str, str]) -> psycopg.Connection:
    return psycopg.connect(
        host=env["PGHOST"],
        port=env["PGPORT"],
        user=env["PGUSER"],
        password=env.get("PGPASSWORD"),
        dbname=env["PGDATABASE"],
        autocommit=True,
    )


@pytest.fixture
def scratch_db(server_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    """A new, empty database with the raw schema migrated; PG* point at it for the test
    (and for any child process it starts). Dropped afterwards."""
    name = f"resi_test_{uuid.uuid4().hex[:12]}"
    with _admin_connect(server_env) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    env = {**server_env, "PGDATABASE": name}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with database.connect() as conn:
        schema.migrate(conn)
    try:
        yield env
    finally:
        with _admin_connect(server_env) as admin:
            admin.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real HTTP S3 endpoint on loopback, with dummy credentials in the environment."""
    from moto.server import ThreadedMotoServer

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
