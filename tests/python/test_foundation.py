"""The foundation: one way to reach the database, and a raw schema that migrates cleanly."""

from __future__ import annotations

import subprocess
import sys

import psycopg
import pytest

from loader import schema
from resi.database import connection as database


def test_migrate_is_idempotent(scratch_db: dict) -> None:
    with database.connect() as conn:
        assert schema.migrate(conn) == len(schema.MIGRATIONS)
        assert schema.migrate(conn) == len(schema.MIGRATIONS)
        versions = conn.execute("select count(*) from raw.schema_migrations").fetchone()
        assert versions == (len(schema.MIGRATIONS),)
        columns = conn.execute(
            """
            select column_name from information_schema.columns
            where table_schema = 'raw' and table_name = 'listing_rows'
            order by ordinal_position
            """
        ).fetchall()
    names = [name for (name,) in columns]
    assert names == ["file_id", "row_index", *schema.LISTING_COLUMNS, "extra_columns"]


def test_resi_db_env_points_at_the_database_in_use(scratch_db: dict) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "resi.cli", "db", "env"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert f"export PGDATABASE={scratch_db['PGDATABASE']}" in out
    assert f"export PGHOST={scratch_db['PGHOST']}" in out


def test_source_file_status_and_reason_constraints(scratch_db: dict) -> None:
    insert = (
        "insert into raw.source_files (source_uri, key, etag, status, reject_reason)"
        " values (%s, 'k', 'e', %s, %s)"
    )
    with database.connect(autocommit=True) as conn:
        conn.execute(insert, ["s3://b/skipped", "skipped", "validator output"])
        conn.execute(insert, ["s3://b/rejected", "rejected", "empty object"])
        conn.execute(insert, ["s3://b/loaded", "loaded", None])
        for uri, status, reason in [
            ("s3://b/1", "skipped", None),  # a skip says why
            ("s3://b/2", "loaded", "why?"),  # a loaded file has no reason
            ("s3://b/3", "ignored", "x"),  # no other status
        ]:
            with pytest.raises(psycopg.errors.CheckViolation):
                conn.execute(insert, [uri, status, reason])
