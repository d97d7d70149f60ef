"""Benchmark the dbt project (make bench-dbt).

In a scratch database of its own on the PostgreSQL in use (PG* or the embedded one):

1. simulates a network of about --rows raw rows (default 1,000,000) with `resi simulate`
   and loads it with `resi load`;
2. times a full build of every model (`dbt run --full-refresh`);
3. writes and loads one new 1,000-row file (a miner re-reporting 1,000 known listings,
   some at a new price) and times the incremental build (`dbt run`); prints both times
   and the ratio (target: at most 10%);
4. times the real-time query (analyses/realtime_listing_search.sql) 20 times and prints
   its p95 (target: under 100 ms);
5. scores unified_listings against the simulator's truth.

Model runs are timed without tests (`dbt test` scans whole tables; it is not what an
incremental load waits for). dbt's own start-up (~5 s: Python imports, project parse) is
inside both times; the per-model SQL time is printed too.

    .venv/bin/python scripts/bench_dbt.py [--rows 1000000] [--keep] [--work DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pandas as pd
import psycopg
import pyarrow.parquet as pq
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resi.database import connection as database  # noqa: E402

ROWS_PER_LISTING = 12.4  # what a 20-miner simulated network writes per listing (approx.)

# The models of the unified database itself (raw -> staging -> intermediate -> the three
# marts); other marts build on these and are timed too, but reported apart.
CORE_MODELS = (
    "stg_raw__source_files", "stg_raw__listing_rows", "int_listing_rows_normalized",
    "int_listing_rows_validated", "int_source_files_checked", "int_listing_reports",
    "int_field_reports_unpivoted", "int_field_votes_ranked", "listing_consensus",
    "miner_attestations", "unified_listings",
)  # fmt: skip


def resi(*args: str, quiet: bool = True) -> float:
    """Run the resi CLI; return its wall time in seconds."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "resi.cli", *args],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=quiet,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        if quiet:
            print(result.stdout[-5000:], result.stderr[-5000:])
        raise SystemExit(f"resi {' '.join(args)} failed ({result.returncode})")
    return elapsed


def model_seconds() -> dict[str, float]:
    results = json.loads((ROOT / "target" / "run_results.json").read_text())
    return {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results["results"]}


def write_new_file(bucket: Path, out: Path, rows: int = 1000) -> Path:
    """One new file from an existing miner: `rows` listings it already reported, re-reported
    an hour after the newest object, a tenth of them at a 3% lower price."""
    files = sorted(bucket.rglob("*.parquet"), key=lambda p: (p.stat().st_mtime, str(p)))
    frames, hotkey, total = [], None, 0
    for path in reversed(files):
        try:
            frame = pq.read_table(path).to_pandas()
        except Exception:  # noqa: BLE001 - the bucket holds deliberately broken objects
            continue
        if len(frame.columns) != 18 or frame["price"].isna().all():
            continue
        part_hotkey = path.parent.parent.name.removeprefix("hotkey=")
        if hotkey is not None and part_hotkey != hotkey:
            continue
        hotkey = part_hotkey
        frames.append(frame)
        total += len(frame)
        if total >= rows:
            break
    frame = pd.concat(frames, ignore_index=True).head(rows).copy()
    drop = frame.index % 10 == 0
    frame.loc[drop, "price"] = (frame.loc[drop, "price"].astype(float) * 0.97).round(-2)
    newest = max(p.stat().st_mtime for p in files)
    stamp = time.strftime("%Y%m%d_%H%M%S", time.gmtime(newest + 3600))
    path = out / f"data/hotkey={hotkey}/job_id=bench_incremental/data_{stamp}_{len(frame)}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    os.utime(path, (newest + 3600, newest + 3600))
    return path


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="raw rows to simulate")
    parser.add_argument("--miners", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database and files")
    parser.add_argument("--work", type=Path, help="folder for the simulated network")
    args = parser.parse_args(argv)

    server = database.libpq_env()
    name = f"resi_bench_dbt_{uuid.uuid4().hex[:8]}"
    admin = {**server, "PGDATABASE": server["PGDATABASE"]}
    with psycopg.connect(
        host=admin["PGHOST"], port=admin["PGPORT"], user=admin["PGUSER"],
        password=admin.get("PGPASSWORD"), dbname=admin["PGDATABASE"], autocommit=True,
    ) as conn:  # fmt: skip
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    os.environ.update({**server, "PGDATABASE": name})
    work = args.work or Path(tempfile.mkdtemp(prefix="resi-bench-dbt-"))
    try:
        listings = max(100, round(args.rows / ROWS_PER_LISTING))
        sim = work / "sim"
        if not (sim / "truth" / "miners.json").exists():
            print(f"simulating {listings:,} listings from {args.miners} miners ...", flush=True)
            resi("simulate", str(sim), "--listings", str(listings), "--miners", str(args.miners))
        print("loading ...", flush=True)
        load_s = resi("load", str(sim / "bucket"))
        with psycopg.connect(autocommit=True) as conn:
            raw_rows = conn.execute("select count(*) from raw.listing_rows").fetchone()[0]
        print(f"  {raw_rows:,} raw rows loaded in {load_s:.1f}s", flush=True)
        resi("dbt", "seed", "--quiet")

        print("full build (dbt run --full-refresh) ...", flush=True)
        full_s = resi("dbt", "run", "--full-refresh", "--exclude", "resource_type:seed")
        full_models = model_seconds()

        new_bucket = work / "new"
        new_file = write_new_file(sim / "bucket", new_bucket)
        resi("load", str(new_bucket))
        print(f"incremental build after one new file ({new_file.name}) ...", flush=True)
        incr_s = resi("dbt", "run", "--exclude", "resource_type:seed")
        incr_models = model_seconds()

        resi(
            "dbt", "compile", "--quiet", "-s", "realtime_listing_search", "--vars",
            json.dumps({
                "search_home_statuses": ["FOR_SALE", "PENDING"],
                "search_min_price": 200000, "search_max_price": 900000,
                "search_zip_codes": ["77494", "08701", "07030", "78704"],
                "search_min_consensus_score": 0.8, "search_limit": 100,
            }),
        )  # fmt: skip
        query = (
            ROOT / "target/compiled/resi_unified/analyses/realtime_listing_search.sql"
        ).read_text()
        samples = []
        with psycopg.connect(autocommit=True) as conn:
            conn.execute("vacuum analyze marts.unified_listings")
            conn.execute("vacuum analyze marts.miner_attestations")
            returned = len(conn.execute(query).fetchall())  # warm-up
            for _ in range(20):
                start = time.perf_counter()
                conn.execute(query).fetchall()
                samples.append((time.perf_counter() - start) * 1000)
            counts = {
                t: conn.execute(f"select count(*) from {t}").fetchone()[0]
                for t in (
                    "intermediate.int_field_reports_unpivoted", "marts.miner_attestations",
                    "marts.listing_consensus", "marts.unified_listings",
                )
            }  # fmt: skip

        print("\n== dbt benchmark on", database.describe(database.libpq_env()))
        print(f"raw rows                  {raw_rows:>12,}")
        for table, count in counts.items():
            print(f"{table:<44} {count:>12,} rows")
        full_sql = sum(full_models.values())
        print(f"full build                {full_s:>10.1f} s   (models {full_sql:.1f} s)")
        for model, seconds in full_models.items():
            print(f"    {model:<34} {seconds:>8.1f} s")
        incr_sql = sum(incr_models.values())
        print(f"incremental build         {incr_s:>10.1f} s   (models {incr_sql:.1f} s)")
        for model, seconds in incr_models.items():
            print(f"    {model:<34} {seconds:>8.2f} s")
        ratio = incr_s / full_s
        print(f"incremental / full        {ratio:>10.1%}   (whole project, wall time)")
        full_core = sum(v for k, v in full_models.items() if k in CORE_MODELS)
        incr_core = sum(v for k, v in incr_models.items() if k in CORE_MODELS)
        print(
            f"core models: full {full_core:.1f} s, incremental {incr_core:.2f} s,"
            f" ratio {incr_core / full_core:.1%}   (target <= 10%)"
        )
        print(
            f"real-time query p95       {p95(samples):>10.1f} ms  (20 runs, {returned} rows,"
            f" median {sorted(samples)[9]:.1f} ms; target < 100 ms)"
        )
        print("\n== score against the truth")
        spec = importlib.util.spec_from_file_location("score", ROOT / "scripts" / "score.py")
        assert spec is not None and spec.loader is not None
        scoring = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(scoring)
        scoring.score(sim, show=3)
        return 0
    finally:
        if not args.keep:
            with psycopg.connect(
                host=server["PGHOST"], port=server["PGPORT"], user=server["PGUSER"],
                password=server.get("PGPASSWORD"), dbname=server["PGDATABASE"], autocommit=True,
            ) as conn:  # fmt: skip
                conn.execute(
                    sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
                )
            if args.work is None:
                shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept database {name} and {work}")


if __name__ == "__main__":
    sys.exit(main())
