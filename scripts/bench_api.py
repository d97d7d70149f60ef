"""Benchmark the read-only API (make bench-api).

Against a built database (its marts, and the reader role of `resi db roles`):

1. starts `resi serve api` (uvicorn, the reader role) on a free port;
2. times a mix of searches (GET /listings: zip, price range and status, radius, minimum
   consensus, sorted by update, price and consensus) and listing look-ups
   (GET /listings/{zpid}), one request at a time, and the same query-module calls made
   directly with psycopg as the same role in the same run: p50 and p95 of each, and the
   API's overhead as the ratio API p95 / direct p95 (targets at 1M raw rows: search p95
   < 50 ms, /listings/{zpid} p95 < 20 ms, ratio <= 1.5);
3. requests per second with 8 concurrent clients (the same mix).

The database: PG* (or the embedded one) and --database NAME (default: PGDATABASE, or the
embedded `resi`), e.g. the one `make bench-dbt ARGS=--keep` leaves at 1M raw rows. Or
--simulate N to simulate, load and build an N-listing network in a scratch database
(dropped afterwards) and measure that.

    .venv/bin/python scripts/bench_api.py [--database NAME | --simulate 2000] [--requests 200]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resi.database import connection as database  # noqa: E402
from resi.serving import queries, settings  # noqa: E402

RESI = Path(sys.executable).with_name("resi")


def resi(env: dict[str, str], *args: str) -> None:
    proc = subprocess.run([str(RESI), *args], env={**os.environ, **env}, cwd=ROOT,
                          capture_output=True, text=True)  # fmt: skip
    if proc.returncode:
        raise SystemExit(f"resi {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def workload(conn: psycopg.Connection, count: int, seed: int = 5) -> tuple[list[dict], list[str]]:
    """`count` search parameter sets and `count` zpids, drawn from the data."""
    rng = random.Random(seed)
    zips = [r[0] for r in conn.execute("select distinct zip_code from marts.unified_listings"
                                       " where zip_code is not null")]  # fmt: skip
    points = conn.execute(
        "select latitude::float8, longitude::float8 from marts.unified_listings"
        " where latitude is not null order by random() limit 50"
    ).fetchall()
    zpids = [r[0] for r in conn.execute(
        "select zpid from marts.unified_listings order by random() limit %s", [count])]  # fmt: skip
    shapes: list[Callable[[], dict]] = [
        lambda: {"zip": rng.choice(zips)},
        lambda: {"min_price": 200000, "max_price": 600000, "status": "FOR_SALE,PENDING"},
        lambda: {"near": "{},{}".format(*rng.choice(points)), "radius_km": 5},
        lambda: {"min_consensus": 0.9, "zip": rng.choice(zips), "sort": "price", "order": "asc"},
        lambda: {"min_miners": 3, "sort": "consensus"},
        lambda: {},
    ]
    searches = [{**rng.choice(shapes)(), "limit": 50} for _ in range(count)]
    return searches, [rng.choice(zpids) for _ in range(count)]


def filters(params: dict) -> queries.SearchFilters:
    near = params.get("near")
    return queries.SearchFilters(
        statuses=queries.parse_csv([params["status"]] if "status" in params else None),
        min_price=params.get("min_price"),
        max_price=params.get("max_price"),
        zip_codes=[params["zip"]] if "zip" in params else [],
        near=queries.parse_floats("near", near, 2) if near else None,  # type: ignore[arg-type]
        radius_km=params.get("radius_km"),
        min_consensus=params.get("min_consensus"),
        min_miners=params.get("min_miners"),
        sort=params.get("sort", "updated"),
        order=params.get("order", "desc"),
        limit=params["limit"],
    )


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def measure(conninfo: dict[str, str], base: str, count: int, clients: int, seconds: float) -> None:
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        searches, zpids = workload(conn, count)
        direct_search = [timed(lambda p=p: queries.search(conn, filters(p))) for p in searches]
        direct_one = [timed(lambda z=z: queries.get_listing(conn, z)) for z in zpids]
    with httpx.Client(base_url=base, timeout=30) as client:

        def get(path: str, params: dict | None = None) -> None:
            response = client.get(path, params=params)
            if response.status_code != 200:
                raise SystemExit(f"{path} {params}: {response.status_code} {response.text}")

        api_search = [timed(lambda p=p: get("/listings", p)) for p in searches]
        api_one = [timed(lambda z=z: get(f"/listings/{z}")) for z in zpids]

    print(f"{'':28}{'p50 ms':>9}{'p95 ms':>9}   (n={count} each, one at a time)")
    for name, api, direct in (("search", api_search, direct_search),
                              ("listing", api_one, direct_one)):  # fmt: skip
        for label, values in ((f"GET {'/listings' if name == 'search' else '/listings/{zpid}'}",
                               api), ("  same SQL, psycopg", direct)):  # fmt: skip
            print(f"{label:<28}{percentile(values, 0.5):>9.1f}{percentile(values, 0.95):>9.1f}")
        ratio50 = percentile(api, 0.5) / percentile(direct, 0.5)
        ratio95 = percentile(api, 0.95) / percentile(direct, 0.95)
        print(f"  ratio API / direct       {ratio50:>9.2f}{ratio95:>9.2f}")

    done = 0
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def client_loop(offset: int) -> None:
        nonlocal done
        n = 0
        with httpx.Client(base_url=base, timeout=30) as client:
            i = offset
            while time.perf_counter() < stop_at:
                if i % 2:
                    client.get("/listings", params=searches[i % count]).raise_for_status()
                else:
                    client.get(f"/listings/{zpids[i % count]}").raise_for_status()
                i += 1
                n += 1
        with lock:
            done += n

    start = time.perf_counter()
    threads = [threading.Thread(target=client_loop, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    print(f"{clients} concurrent clients, half searches, half look-ups: "
          f"{done / elapsed:,.0f} requests/s ({done:,} in {elapsed:.1f} s)")  # fmt: skip


def serve(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([str(RESI), "serve", "api", "--port", str(port)],
                            env={**os.environ, **env}, cwd=ROOT,
                            stdout=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit("resi serve api exited")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("resi serve api did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="database to measure (default PGDATABASE)")
    parser.add_argument(
        "--simulate", type=int, metavar="LISTINGS", help="measure a new network of this size"
    )
    parser.add_argument("--requests", type=int, default=200, help="requests per measurement")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10, help="length of the concurrent run")
    args = parser.parse_args()

    server = database.libpq_env()
    env = {**server, "PGDATABASE": args.database or server["PGDATABASE"]}
    scratch = None
    if args.simulate:
        scratch = f"resi_bench_api_{uuid.uuid4().hex[:8]}"
        env["PGDATABASE"] = scratch
        with psycopg.connect(**_keywords(server), autocommit=True) as c:
            c.execute(sql.SQL("create database {}").format(sql.Identifier(scratch)))
    try:
        if args.simulate:
            with tempfile.TemporaryDirectory() as work:
                print(f"simulating, loading and building {args.simulate:,} listings ...")
                resi(env, "simulate", f"{work}/net", "--listings", str(args.simulate))
                resi(env, "load", f"{work}/net/bucket")
                resi(env, "dbt", "seed", "--quiet", "--target-path", f"{work}/target")
                resi(env, "dbt", "run", "--quiet", "--target-path", f"{work}/target")
            resi(env, "db", "roles")
        os.environ.update(env)
        conninfo = settings.reader_conninfo()
        with psycopg.connect(**conninfo) as conn:
            listings = conn.execute("select count(*) from marts.unified_listings").fetchone()[0]
            raw = conn.execute(
                "select coalesce(sum(rows_loaded), 0) from marts.network_quality_daily"
            ).fetchone()[0]
        print(f"database {env['PGDATABASE']}: {raw:,} raw rows, {listings:,} unified listings;"
              f" as {conninfo['user']}")  # fmt: skip
        proc, base = serve(env)
        try:
            measure(conninfo, base, args.requests, args.clients, args.seconds)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    finally:
        if scratch:
            with psycopg.connect(**_keywords(server), autocommit=True) as c:
                c.execute(sql.SQL("drop database if exists {} with (force)").format(
                    sql.Identifier(scratch)))  # fmt: skip
    return 0


def _keywords(env: dict[str, str]) -> dict[str, str]:
    keys = {"PGHOST": "host", "PGPORT": "port", "PGUSER": "user", "PGDATABASE": "dbname",
            "PGPASSWORD": "password"}  # fmt: skip
    return {keys[k]: v for k, v in env.items() if k in keys}


if __name__ == "__main__":
    sys.exit(main())
