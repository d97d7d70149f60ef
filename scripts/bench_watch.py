"""How long a new file takes to reach the marts under `resi watch` (make bench-watch).

In a scratch database of its own on the PostgreSQL in use (PG* or the embedded one), with a
moto S3 + SQS endpoint on loopback:

1. simulates a small network (--listings, --miners), uploads it, configures the bucket to
   notify an SQS queue, starts `resi watch --queue-url` and waits for its first build;
2. --rounds times: uploads one new file (a listing nobody reported before) and times
   upload -> the listing visible in marts.unified_listings, then waits for the build's end;
3. the same with polling (`--interval`, default 10 s) instead of the queue.

Beside each latency it prints the same run's incremental build time (what the watcher's
own `dbt build` took, from raw.watcher_state) and the ratio: how much of the wait is the
build itself.

    .venv/bin/python scripts/bench_watch.py [--listings 300] [--miners 8] [--rounds 3]
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import boto3
import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resi.database import connection as database  # noqa: E402
from resi.simulation.writer import write_network  # noqa: E402

RESI = Path(sys.executable).with_name("resi")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def new_file(n: int) -> tuple[bytes, str, str]:
    """One miner-style Parquet file with one listing never reported before."""
    zpid = f"9{n:08d}"
    frame = pd.DataFrame(
        {
            "uri": [f"https://www.zillow.com/homedetails/{zpid}_zpid/"],
            "datetime": [pd.Timestamp.now()],
            "label": ["zip:77494"],
            "zpid": [zpid],
            "price": [float(350_000 + n)],
            "address": [f"{n} Bench St, Katy, TX 77494"],
            "bedrooms": [3.0],
            "bathrooms": [2.0],
            "living_area": [1800.0],
            "home_type": ["SINGLE_FAMILY"],
            "home_status": ["FOR_SALE"],
            "days_on_zillow": [np.int64(1)],
            "url": [f"https://www.zillow.com/homedetails/{zpid}_zpid/"],
            "zip_code": ["77494"],
            "city": ["Katy"],
            "state": ["TX"],
            "latitude": [29.7],
            "longitude": [-95.8],
        }
    )
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    stamp = time.strftime("%Y%m%d_%H%M%S", time.gmtime())
    key = f"data/hotkey=5Bench{n}/job_id=zillow_zip_77494/data_{stamp}_1.parquet"
    return buffer.getvalue(), key, zpid


def wait(conn: psycopg.Connection, query: str, params: list, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if conn.execute(query, params).fetchone():
                return
        except psycopg.errors.UndefinedTable:
            pass
        time.sleep(0.2)
    raise SystemExit(f"timed out: {query}")


BUILT = (
    "select 1 from raw.watcher_state where last_build_status = 'succeeded'"
    " and last_build_started_at > coalesce(last_load_at, '-infinity')"
)


def measure(conn, s3, bucket: str, args: list[str], env: dict, rounds: int, first: int) -> dict:
    log = open(Path(tempfile.gettempdir()) / f"bench-watch-{uuid.uuid4().hex[:6]}.log", "w")  # noqa: SIM115
    proc = subprocess.Popen([str(RESI), "watch", *args], env=env, stdout=log, stderr=log)
    latencies, builds = [], []
    try:
        wait(conn, BUILT, [], 1800)
        for i in range(rounds):
            body, key, zpid = new_file(first + i)
            start = time.monotonic()
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            wait(conn, "select 1 from marts.unified_listings where zpid = %s", [zpid], 900)
            latencies.append(time.monotonic() - start)
            wait(conn, BUILT, [], 900)
            row = conn.execute("select last_build_seconds from raw.watcher_state").fetchone()
            builds.append(float(row[0]))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=300)
        log.close()
    return {"latencies": latencies, "builds": builds, "log": log.name}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=300)
    parser.add_argument("--miners", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--interval", type=float, default=10.0)
    options = parser.parse_args()

    from moto.server import ThreadedMotoServer

    for name, value in (("AWS_ACCESS_KEY_ID", "bench"), ("AWS_SECRET_ACCESS_KEY", "bench")):
        os.environ.setdefault(name, value)
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    server_env = database.libpq_env()
    name = f"resi_bench_watch_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(**_kw(server_env), autocommit=True)
    admin.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    env = {**os.environ, **server_env, "PGDATABASE": name}
    try:
        s3 = boto3.client("s3", endpoint_url=endpoint)
        sqs = boto3.client("sqs", endpoint_url=endpoint)
        bucket = "bench-watch"
        s3.create_bucket(Bucket=bucket)
        with tempfile.TemporaryDirectory() as work:
            write_network(
                Path(work), seed=7, listings=options.listings, miners=options.miners, bad=False
            )
            root = Path(work) / "bucket"
            files = sorted(p for p in root.rglob("*") if p.is_file())
            for path in files:
                s3.upload_file(str(path), bucket, path.relative_to(root).as_posix())
        url = sqs.create_queue(QueueName="bench", Attributes={"VisibilityTimeout": "120"})[
            "QueueUrl"
        ]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={
                "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]
            },
        )
        common = [f"s3://{bucket}", "--endpoint-url", endpoint, "--rebuild-at", "off"]
        with psycopg.connect(**_kw({**server_env, "PGDATABASE": name}), autocommit=True) as conn:
            print(
                f"network: {options.listings} listings, {options.miners} miners, {len(files)} files"
            )
            queue = measure(conn, s3, bucket, [*common, "--queue-url", url], env, options.rounds, 1)
            polling = measure(
                conn,
                s3,
                bucket,
                [*common, "--interval", str(options.interval)],
                env,
                options.rounds,
                100,
            )
        print(
            f"{'mode':<22} {'upload -> unified_listings':>27} {'same-run build':>15} {'ratio':>6}"
        )
        for label, result in (
            ("SQS notifications", queue),
            (f"polling every {options.interval:g} s", polling),
        ):
            latency = statistics.median(result["latencies"])
            build = statistics.median(result["builds"])
            runs = ", ".join(f"{x:.1f}" for x in result["latencies"])
            print(
                f"{label:<22} {latency:>25.1f} s {build:>13.1f} s {latency / build:>6.2f}  ({runs})"
            )
    finally:
        admin.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )
        admin.close()
        server.stop()
    return 0


def _kw(env: dict[str, str]) -> dict:
    return {
        "host": env["PGHOST"],
        "port": env["PGPORT"],
        "user": env["PGUSER"],
        "password": env.get("PGPASSWORD"),
        "dbname": env["PGDATABASE"],
    }


if __name__ == "__main__":
    sys.exit(main())
