"""Benchmark `resi load` (make bench-load).

On the PostgreSQL in use (PG* or the embedded one) in a scratch database of its own,
with 1,000,000 miner-style rows in 10 Parquet files (written with pandas, the way miners
write them), it prints:

- the ceiling: `psql \\copy` of a pre-written CSV of the same rows into raw.listing_rows;
- the loader end to end (a `resi load` process: start-up, listing, hashing, decoding,
  COPY, commit) from a local folder and from an S3 endpoint (moto's server, in this
  process), with rows/s, MB/s of Parquet and the loader's peak RSS;
- the ratio of the loader's rows/s to the ceiling's;
- a naive baseline: one INSERT per row on a sample, extrapolated;
- peak RSS loading a single 1,000,000-row file;
- a re-run with nothing new over 1,000 loaded objects.

The machine is shared and has 2 cores: figures move by ±20% from run to run, so each
throughput figure is the best of `--repeat` runs, ceiling and loader interleaved.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loader import copying, reading, schema  # noqa: E402
from resi.database import connection as database  # noqa: E402
from resi.database import embedded  # noqa: E402


def miner_frame(rows: int, seed: int) -> pd.DataFrame:
    """Rows shaped like a miner's `_create_raw_dataframe()` (pandas → Parquet)."""
    rng = np.random.default_rng(seed)
    zpids = rng.integers(10**7, 10**9, rows)
    streets = np.array(["Oak St", "Main St", "Elm Ave", "Cedar Ln", "Park Blvd", "Lake Dr"])
    cities = np.array(["Katy", "Houston", "Austin", "Dallas", "Cypress"])
    numbers = rng.integers(1, 20000, rows).astype(str)
    city = cities[rng.integers(0, len(cities), rows)]
    zips = rng.integers(77000, 78000, rows).astype(str)
    address = (
        pd.Series(numbers)
        + " "
        + streets[rng.integers(0, len(streets), rows)]
        + ", "
        + city
        + ", TX "
        + zips
    )
    url = "https://www.zillow.com/homedetails/" + pd.Series(zpids.astype(str)) + "_zpid/"
    return pd.DataFrame(
        {
            "uri": url,
            "datetime": pd.Timestamp("2025-06-01")
            + pd.to_timedelta(rng.integers(0, 86400 * 30, rows), unit="s"),
            "label": "zip:" + pd.Series(zips),
            "zpid": zpids.astype(str),
            "price": np.round(rng.uniform(1e5, 2e6, rows), -2),
            "address": address,
            "bedrooms": rng.integers(1, 7, rows).astype(float),
            "bathrooms": rng.integers(2, 9, rows) / 2,
            "living_area": rng.integers(500, 6000, rows).astype(float),
            "home_type": np.array(["SINGLE_FAMILY", "CONDO", "TOWNHOUSE"])[
                rng.integers(0, 3, rows)
            ],
            "home_status": np.array(["FOR_SALE", "SOLD", "PENDING"])[rng.integers(0, 3, rows)],
            "days_on_zillow": rng.integers(0, 400, rows),
            "url": url,
            "zip_code": zips,
            "city": city,
            "state": "TX",
            "latitude": rng.uniform(29.0, 33.0, rows),
            "longitude": rng.uniform(-98.0, -95.0, rows),
        }
    )


def write_network(folder: Path, files: int, rows: int, seed: int = 46) -> list[Path]:
    paths = []
    for i in range(files):
        relative = (
            f"data/hotkey=5Bench{i % 4}/job_id=zillow_zip_7749{i % 10}/"
            f"data_20250601_{i // 60:02d}{i % 60:02d}00_{rows}.parquet"
        )
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        miner_frame(rows, seed + i).to_parquet(path, index=False)
        paths.append(path)
    return paths


def write_tiny_network(folder: Path, files: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(miner_frame(1, 0), preserve_index=False)
    for i in range(files):
        path = folder / f"data/hotkey=5Tiny{i % 20}/job_id=j{i}/data_20250601_000000_1.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, path)


class Bench:
    def __init__(self) -> None:
        self.server = database.libpq_env()
        self.name = f"resi_bench_{uuid.uuid4().hex[:10]}"
        self.env = {**os.environ, **self.server, "PGDATABASE": self.name}
        self.env.pop("AWS_ENDPOINT_URL", None)
        self.psql = shutil.which("psql") or embedded.psql_path()

    def admin(self) -> psycopg.Connection:
        s = self.server
        return psycopg.connect(
            host=s["PGHOST"], port=s["PGPORT"], user=s["PGUSER"], dbname=s["PGDATABASE"],
            password=s.get("PGPASSWORD"), autocommit=True,
        )  # fmt: skip

    def connect(self) -> psycopg.Connection:
        s = self.server
        return psycopg.connect(
            host=s["PGHOST"], port=s["PGPORT"], user=s["PGUSER"], dbname=self.name,
            password=s.get("PGPASSWORD"), autocommit=True,
        )  # fmt: skip

    def __enter__(self) -> Bench:
        with self.admin() as conn:
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(self.name)))
        with self.connect() as conn:
            schema.migrate(conn)
            conn.execute("checkpoint")
        return self

    def __exit__(self, *exc) -> None:
        with self.admin() as conn:
            conn.execute(
                sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(self.name))
            )

    def empty_raw(self) -> None:
        with self.connect() as conn:
            conn.execute(
                "truncate raw.listing_rows, raw.source_files, raw.load_runs restart identity"
            )
            conn.execute("vacuum analyze raw.listing_rows")
            conn.execute("checkpoint")

    def ceiling(self, csv_path: Path, files: int) -> float:
        """Seconds for psql \\copy of the pre-written CSV (file ids 1..files)."""
        self.empty_raw()
        with self.connect() as conn:
            conn.execute(
                "insert into raw.source_files (source_uri, key, etag, status) "
                "select 'bench:' || i, 'bench', 'x', 'loaded' from generate_series(1, %s) i",
                [files],
            )
            first = conn.execute("select min(file_id) from raw.source_files").fetchone()[0]
        assert first == 1 or files == 0, "file ids of the CSV must exist"
        columns = ", ".join(copying.COLUMNS)
        command = f"\\copy raw.listing_rows ({columns}) from '{csv_path}' with (format csv)"
        started = time.perf_counter()
        subprocess.run([self.psql, "-q", "-c", command], env=self.env, check=True)
        return time.perf_counter() - started

    def loader(self, source: str, *options: str) -> dict:
        """Run `resi load` as a process: wall seconds, peak RSS (MB), its JSON summary."""
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "resi.cli", "load", source, "--json", *options],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise SystemExit(f"resi load {source} exited {proc.returncode}")
        summary = json.loads(out.decode().strip().splitlines()[-1])
        # the loader's own VmHWM: ru_maxrss of a child also counts the memory this
        # process held when it forked, which here is the generated data
        rss = summary.get("peak_rss_mb") or usage.ru_maxrss / 1024
        return {
            "seconds": seconds,
            "rss_mb": rss,
            "summary": summary,
        }

    def naive(self, paths: list[Path], sample: int) -> float:
        """Seconds per row of one INSERT per row (in one transaction), on a sample."""
        self.empty_raw()
        parquet = reading.open_parquet(str(paths[0]))
        batch = next(reading.iter_text_batches(parquet, sample))
        columns = [c.to_pylist() for c in batch.columns]
        rows = list(zip(*columns, strict=True))
        names = sql.SQL(", ").join(sql.Identifier(c) for c in copying.COLUMNS[:-1])
        marks = sql.SQL(", ").join(sql.Placeholder() * (len(copying.COLUMNS) - 1))
        insert = sql.SQL("insert into raw.listing_rows ({}) values ({})").format(names, marks)
        with self.connect() as conn:
            conn.autocommit = False
            started = time.perf_counter()
            with conn.cursor() as cur:
                for index, row in enumerate(rows):
                    cur.execute(insert, [1, index, *row])
            conn.commit()
            return (time.perf_counter() - started) / len(rows)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--rows", type=int, default=100_000, help="rows per file")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--objects", type=int, default=1000, help="objects for the re-run")
    parser.add_argument("--sample", type=int, default=5000, help="rows for the naive baseline")
    parser.add_argument("--workers", type=int, default=1, help="passed to resi load")
    args = parser.parse_args()
    total_rows = args.files * args.rows
    work = Path(tempfile.mkdtemp(prefix="resi-bench-"))
    lines: list[str] = []

    def say(line: str) -> None:
        print(line, flush=True)
        lines.append(line)

    try:
        with Bench() as bench:
            say(f"server: {database.describe(bench.server)}, scratch database {bench.name}")
            say(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
            t = time.perf_counter()
            paths = write_network(work / "bucket", args.files, args.rows)
            parquet_bytes = sum(p.stat().st_size for p in paths)
            say(
                f"data: {total_rows:,} rows in {args.files} files, "
                f"{parquet_bytes / 1e6:.1f} MB of Parquet "
                f"(written in {time.perf_counter() - t:.1f} s)"
            )
            csv_path = work / "ceiling.csv"
            with open(csv_path, "wb") as out:
                for file_id, path in enumerate(paths, start=1):
                    for batch in reading.iter_text_batches(reading.open_parquet(str(path))):
                        out.write(copying.encode_csv(file_id, batch).to_pybytes())
            say(f"ceiling CSV: {csv_path.stat().st_size / 1e6:.1f} MB")
            options = ["--workers", str(args.workers)]

            ceilings, locals_ = [], []
            for _ in range(args.repeat):
                ceilings.append(bench.ceiling(csv_path, args.files))
                bench.empty_raw()
                run = bench.loader(str(work / "bucket"), *options)
                assert run["summary"]["rows_loaded"] == total_rows, run["summary"]
                locals_.append(run)
            ceiling = min(ceilings)
            best = min(locals_, key=lambda r: r["seconds"])
            say(
                f"ceiling (psql \\copy of the CSV): {total_rows / ceiling:,.0f} rows/s "
                f"({', '.join(f'{s:.2f}' for s in ceilings)} s)"
            )
            say(
                f"resi load, local folder: {total_rows / best['seconds']:,.0f} rows/s, "
                f"{parquet_bytes / 1e6 / best['seconds']:.1f} MB/s, "
                f"peak RSS {max(r['rss_mb'] for r in locals_):.0f} MB "
                f"({', '.join(format(r['seconds'], '.2f') for r in locals_)} s); "
                f"ratio to ceiling {ceiling / best['seconds']:.2f}"
            )

            bench.empty_raw()
            two = bench.loader(str(work / "bucket"), "--workers", "2")
            say(
                f"resi load, local folder, --workers 2: {total_rows / two['seconds']:,.0f} rows/s, "
                f"peak RSS {two['rss_mb']:.0f} MB ({two['seconds']:.2f} s); "
                f"ratio to ceiling {ceiling / two['seconds']:.2f}"
            )

            from moto.server import ThreadedMotoServer

            os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
            os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
            for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
                bench.env[key] = os.environ[key]
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
            port = _free_port()
            moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
            with contextlib.redirect_stdout(io.StringIO()):
                moto.start()
            try:
                import boto3

                endpoint = f"http://127.0.0.1:{port}"
                s3 = boto3.client("s3", endpoint_url=endpoint)
                s3.create_bucket(Bucket="bench")
                for path in paths:
                    key = path.relative_to(work / "bucket").as_posix()
                    s3.upload_file(str(path), "bench", key)
                bench.empty_raw()
                run = bench.loader("s3://bench", "--endpoint-url", endpoint, *options)
                assert run["summary"]["rows_loaded"] == total_rows, run["summary"]
                say(
                    f"resi load, S3 endpoint (moto, same machine): "
                    f"{total_rows / run['seconds']:,.0f} rows/s, "
                    f"{parquet_bytes / 1e6 / run['seconds']:.1f} MB/s, "
                    f"peak RSS {run['rss_mb']:.0f} MB ({run['seconds']:.2f} s); "
                    f"ratio to ceiling {ceiling / run['seconds']:.2f}"
                )
            finally:
                moto.stop()

            per_row = bench.naive(paths, args.sample)
            say(
                f"naive row-by-row INSERT ({args.sample:,}-row sample, extrapolated): "
                f"{1 / per_row:,.0f} rows/s, {per_row * total_rows:,.0f} s for {total_rows:,} rows"
            )

            single = work / "single"
            write_network(single, 1, total_rows, seed=7)
            bench.empty_raw()
            run = bench.loader(str(single), *options)
            say(
                f"single {total_rows:,}-row file: peak RSS {run['rss_mb']:.0f} MB, "
                f"{total_rows / run['seconds']:,.0f} rows/s"
            )

            tiny = work / "tiny"
            write_tiny_network(tiny, args.objects)
            bench.empty_raw()
            first = bench.loader(str(tiny), "--workers", "2")
            assert first["summary"]["files_loaded"] == args.objects, first["summary"]
            again = bench.loader(str(tiny))
            assert again["summary"]["files_skipped"] == args.objects, again["summary"]
            say(
                f"{args.objects:,} small objects: first load {first['seconds']:.1f} s; "
                f"re-run with nothing new {again['seconds']:.2f} s (whole process)"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
