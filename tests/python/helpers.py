"""Helpers the test modules share: reach a database, make a throwaway one, run `resi`."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from loader import schema
from resi import PROJECT_ROOT

RESI = Path(sys.executable).with_name("resi")


def connect(env: dict[str, str]) -> psycopg.Connection:
    """An autocommit connection to the database `env` (libpq variables) names."""
    return psycopg.connect(
        host=env["PGHOST"],
        port=env["PGPORT"],
        user=env["PGUSER"],
        password=env.get("PGPASSWORD"),
        dbname=env["PGDATABASE"],
        autocommit=True,
    )


@contextmanager
def new_database(server_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """A new database on the server in use, raw schema migrated; dropped afterwards.
    Yields the libpq variables that reach it."""
    name = f"resi_test_{uuid.uuid4().hex[:12]}"
    with connect(server_env) as admin:
        admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    env = {**server_env, "PGDATABASE": name}
    try:
        with connect(env) as conn:
            schema.migrate(conn)
        yield env
    finally:
        with connect(server_env) as admin:
            admin.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
            )


def resi(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the `resi` command against the database `env` names."""
    proc = subprocess.run(
        [str(RESI), *args],
        env={**os.environ, **env},
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"resi {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def dbt_paths(work: Path) -> list[str]:
    """dbt options that keep a test's artifacts out of the project's own target/."""
    return ["--target-path", str(work / "target"), "--log-path", str(work / "logs")]


CHROMIUM = Path("/usr/bin/chromium")  # Debian's chromium: test tools cannot download one here


def launch_chromium(playwright):
    """Headless Debian chromium with the flags this offline machine needs."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
        ],
    )
