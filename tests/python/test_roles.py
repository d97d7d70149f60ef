"""`resi db roles`: the loader writes raw only, dbt (the transform role) reads raw and
writes the model schemas only, the reader reads the marts only; each used through its
RESI_*_ROLE variable; tables dbt recreates stay readable; no password is printed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from helpers import connect, dbt_paths, new_database, resi

from resi.database import roles

LOADER, TRANSFORM, READER = (r.default_name for r in roles.ROLES)


@pytest.fixture(scope="module")
def built(server_env, tmp_path_factory) -> Iterator[dict[str, str]]:
    """Roles first, then a load as the loader and a build as the transform role."""
    work = tmp_path_factory.mktemp("roles")
    with new_database(server_env) as env:
        resi(env, "db", "roles")
        resi(env, "simulate", str(work / "net"), "--listings", "60", "--miners", "3")
        resi({**env, "RESI_LOADER_ROLE": LOADER}, "load", str(work / "net" / "bucket"))
        as_transform = {**env, "RESI_TRANSFORM_ROLE": TRANSFORM}
        resi(as_transform, "dbt", "seed", "--quiet", *dbt_paths(work))
        resi(as_transform, "dbt", "run", "--quiet", *dbt_paths(work))
        # a full refresh drops and recreates the marts: the reader must still read them
        resi(as_transform, "dbt", "run", "--quiet", "--full-refresh", "-s", "unified_listings",
             *dbt_paths(work))  # fmt: skip
        yield env


def _as(env: dict[str, str], role: str) -> psycopg.Connection:
    return connect({**env, "PGUSER": role})


def _refused(env: dict[str, str], role: str, statement: str) -> None:
    with _as(env, role) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


def test_the_loader_and_dbt_ran_as_their_roles(built) -> None:
    with connect(built) as conn:
        owners = dict(
            conn.execute(
                "select schemaname || '.' || tablename, tableowner from pg_tables"
                " where (schemaname, tablename) in (('raw', 'listing_rows'),"
                " ('marts', 'listing_consensus'), ('reference', 'miner_uids'))"
            ).fetchall()
        )
        loaded = conn.execute("select count(*) from raw.source_files").fetchone()[0]
    assert owners == {
        "raw.listing_rows": LOADER,
        "marts.listing_consensus": TRANSFORM,
        "reference.miner_uids": TRANSFORM,
    }
    assert loaded > 0


def test_reader_reads_marts_only(built) -> None:
    with _as(built, READER) as conn:
        for mart in ("unified_listings", "listing_consensus", "miner_attestations",
                     "miner_performance", "quality_alerts", "network_quality_daily"):  # fmt: skip
            conn.execute(f"select count(*) from marts.{mart}").fetchone()
    for statement in (
        "select * from raw.source_files",
        "select * from raw.listing_rows",
        "select * from staging.stg_raw__listing_rows",
        "select * from intermediate.incremental_watermarks",
        "insert into marts.listing_consensus (zpid) values ('x')",
        "delete from marts.miner_reliability",
        "truncate marts.listing_consensus",
        "create table marts.mine (x int)",
        "insert into raw.schema_migrations (version) values (999)",
    ):
        _refused(built, READER, statement)


def test_loader_writes_raw_only(built) -> None:
    with _as(built, LOADER) as conn:
        conn.execute("create table raw.loader_scratch (x int)")
        conn.execute("drop table raw.loader_scratch")
    for statement in (
        "select * from marts.unified_listings",
        "delete from marts.unified_listings",
        "create table marts.mine (x int)",
        "select * from staging.stg_raw__source_files",
        "create schema elsewhere",
        "create table public.mine (x int)",
    ):
        _refused(built, LOADER, statement)


def test_transform_reads_raw_and_writes_models_only(built) -> None:
    with _as(built, TRANSFORM) as conn:
        conn.execute("select count(*) from raw.listing_rows").fetchone()
        conn.execute("create table marts.transform_scratch (x int)")
        conn.execute("drop table marts.transform_scratch")
    for statement in (
        "insert into raw.schema_migrations (version) values (999)",
        "delete from raw.listing_rows",
        "update raw.source_files set status = 'loaded'",
        "create table raw.mine (x int)",
        "drop table raw.listing_rows",
    ):
        _refused(built, TRANSFORM, statement)


def test_roles_is_idempotent_and_never_prints_a_password(built, tmp_path: Path) -> None:
    secret = "pw-9d1c2f-never-shown"
    env = {**built, "RESI_READER_PASSWORD": secret, "PGPASSWORD": secret}
    again = resi(env, "db", "roles")
    url = resi(env, "db", "url")
    assert secret not in again.stdout + again.stderr + url.stdout + url.stderr
    assert READER in again.stdout
    with _as(built, READER) as conn:  # still reads after the second run
        conn.execute("select count(*) from marts.unified_listings").fetchone()
