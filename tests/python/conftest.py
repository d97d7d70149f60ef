"""Shared fixtures: a scratch database on the PostgreSQL in use (PG* or the embedded one)
and a real S3 endpoint (moto's ThreadedMotoServer)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import pytest
from helpers import new_database

from resi.database import connection as database


@pytest.fixture(scope="session")
def server_env() -> dict[str, str]:
    """libpq variables of the server in use (starts the embedded one when PGHOST is unset)."""
    return database.libpq_env()


@pytest.fixture
def scratch_db(server_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    """A new, empty database with the raw schema migrated; PG* point at it for the test
    (and for any child process it starts). Dropped afterwards."""
    with new_database(server_env) as env:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        yield env


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


# --- loader fixtures -------------------------------------------------------------------


def miner_frame(rows: int = 5, seed: int = 0):
    """A DataFrame shaped like a miner's `_create_raw_dataframe()` output."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    zpids = rng.integers(10**7, 10**8, rows)
    return pd.DataFrame(
        {
            "uri": [f"https://www.zillow.com/homedetails/{z}_zpid/" for z in zpids],
            "datetime": pd.Timestamp("2025-01-02T03:04:05.123456")
            + pd.to_timedelta(rng.integers(0, 10**6, rows), unit="s"),
            "label": "zip:77494",
            "zpid": zpids.astype(str),
            "price": rng.integers(10**5, 10**6, rows).astype(float),
            "address": [f"{i} Oak St, Katy, TX 77494" for i in range(rows)],
            "bedrooms": rng.integers(1, 6, rows).astype(float),
            "bathrooms": rng.integers(1, 4, rows) + 0.5,
            "living_area": rng.integers(500, 5000, rows).astype(float),
            "home_type": "SINGLE_FAMILY",
            "home_status": "FOR_SALE",
            "days_on_zillow": rng.integers(0, 300, rows),
            "url": [f"https://www.zillow.com/homedetails/{z}_zpid/" for z in zpids],
            "zip_code": "77494",
            "city": "Katy",
            "state": "TX",
            "latitude": rng.uniform(29, 30, rows),
            "longitude": rng.uniform(-96, -95, rows),
        }
    )


def miner_key(
    hotkey: str = "5HkA",
    job_id: str = "zillow_zip_77494",
    stamp: str = "20250102_030405",
    count: int = 5,
) -> str:
    return f"data/hotkey={hotkey}/job_id={job_id}/data_{stamp}_{count}.parquet"


@pytest.fixture
def miner_files():
    """(miner_frame, miner_key): helpers to write miner-style Parquet files."""
    return miner_frame, miner_key


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> Iterator[tuple]:
    """A fresh bucket on the moto endpoint: (boto3 client, bucket name)."""
    import boto3

    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    name = f"resi-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    yield client, name
