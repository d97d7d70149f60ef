"""Benchmark the dbt project at one or more sizes (make bench-dbt).

For each --rows size (default 100,000 and 1,000,000), one after the other, each in a
scratch database of its own on the PostgreSQL in use (PG* or the embedded one):

1. simulates a network of about that many raw rows with `resi simulate` (cached in
   --work DIR/sim-<rows> when --work is given, so a rerun skips it) and loads it with
   `resi load`; with --rescrapes N, then N more files of one miner, each re-reporting the
   same 1,000 listings an hour after the one before (a history N reports deep for those
   listings, as a miner's daily re-scrapes make it; the simulator gives about two
   reports per listing and miner);
2. times the reference: the one plain SQL statement of scripts/bench_reference.sql, the
   core result (one row per listing, each field by the majority of the miners' latest
   reports) computed straight from raw, simplified. It runs before the models, as it
   reads only raw: at 10M raw rows its sort needs more temporary space than the disk
   kept once the models were built;
3. times a full build of every model (`dbt run --full-refresh`): wall time, run time
   (run_results' elapsed_time: from the first model to the last, dbt's start-up left
   out), the models' times added up (execution_time) and seconds per million raw rows;
   prints full build / reference and core models / reference;
4. writes and loads one new 1,000-row file (a miner re-reporting 1,000 known listings,
   some at a new price) and times the incremental build (`dbt run`); prints its wall and
   run time (the target's model time), the models' times added up and its 10 slowest.
   It does so --incremental-runs times (default 3), each file newer than the last (the
   miner re-reports what it sent last, a tenth at a new price again), and prints every
   run and their median: the first run after a full build reads tables the build has
   just pushed out of the cache, the later ones show a run's usual cost. Then one more
   incremental build with no new file: what every run costs before it has any rows to
   work on (each node's checks, hooks and dbt's own work per node), printed beside the
   runs' median;
5. for each build, the WAL it wrote (server-wide: it includes anything else running on
   the server) and the temp-file bytes of the scratch database (pg_stat_database), beside
   the size of raw.listing_rows (target: temp at most 1x raw); and the storage of every
   relation in the model schemas (staging, intermediate, marts) beside raw.listing_rows
   (target: at most 4x);
6. times the real-time query (analyses/realtime_listing_search.sql) 20 times and prints
   its p95 (target: under 100 ms);
7. scores the method's published values (marts.listing_consensus) against the
   simulator's truth: listings right, price right, silently wrong (scripts/score.py).

Then one summary table for all sizes and the machine (CPUs, RAM, PostgreSQL version).

A build that fails at one size (a model's error) is reported in that size's row with the
models that failed and the temporary files written until then; the next size still runs.
Each scratch database gets `temp_file_limit` (--temp-file-limit, default 8GB per
process; it needs a superuser): a model whose temporary files outgrow it fails with
PostgreSQL's own error instead of filling the server's disk, which stops every database
on it (at 10M raw rows two models once wrote 38 GB between them).

The core models are unified_listings, listing_consensus and miner_attestations and every
model upstream of them (from target/manifest.json). Model runs are timed without tests
(`dbt test` scans whole tables; it is not what an incremental load waits for). dbt's own
start-up (~3-5 s: Python imports, project parse) is inside the wall times, not the run
times. The models' times added up exceed the run time: dbt runs 4 models at a time on 2
cores, and each model's time includes its wait for the CPU (a run of no new data at 1M raw
rows: 5.2 s added up with 4 threads and 2.5 s with 1, in a run of 2.2 and 2.7 s).
Scratch databases are dropped at the end unless --keep.

    .venv/bin/python scripts/bench_dbt.py [--rows 100000 1000000 ...] [--incremental-runs 3]
        [--rescrapes 0] [--keep] [--work DIR] [--temp-file-limit 8GB]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pandas as pd
import psycopg
import pyarrow.parquet as pq
import yaml
from psycopg import sql
from rich import box
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resi.database import connection as database  # noqa: E402

ROWS_PER_LISTING = 12.4  # what a 20-miner simulated network writes per listing (approx.)
REFERENCE_SQL = ROOT / "scripts" / "bench_reference.sql"
# the marts of the unified database itself; they and every model upstream are "core"
CORE_MARTS = ("unified_listings", "listing_consensus", "miner_attestations")
DBT_RUN = ("dbt", "run", "--exclude", "resource_type:seed")
DBT_WRAPPING = ("Database Error in", "compiled code at")  # lines around a model's error
SEARCH_VARS = {
    "search_home_statuses": ["FOR_SALE", "PENDING"],
    "search_min_price": 200000, "search_max_price": 900000,
    "search_zip_codes": ["77494", "08701", "07030", "78704"],
    "search_min_consensus_score": 0.8, "search_limit": 100,
}  # fmt: skip


@dataclass
class Build:
    """One `dbt run`: wall time, its run phase, per-model seconds, WAL and temp bytes it
    caused."""

    wall_s: float
    run_s: float  # run_results' elapsed_time: from the first model to the last
    models: dict[str, float]
    wal_bytes: int
    temp_bytes: int

    @property
    def model_s(self) -> float:
        """The models' seconds added up. With 4 threads on 2 cores it counts the time
        models spend waiting on one another for the CPU (dbt's own Python work holds a
        lock), so it exceeds run_s; run_s is the model time a build waits for."""
        return sum(self.models.values())


class BuildFailed(Exception):
    """A `dbt run` that ended with a model's error."""

    def __init__(self, wall_s: float, failed: dict[str, str], temp_bytes: int) -> None:
        super().__init__(", ".join(failed))
        self.wall_s = wall_s
        self.failed = failed  # model -> the database's message (failed_models)
        self.temp_bytes = temp_bytes  # temp bytes of the database, written until it failed


@dataclass
class SizeFailure:
    """A size whose full build failed: what was measured before it did."""

    rows: int  # as asked (--rows)
    database: str
    raw_rows: int
    raw_bytes: int
    error: BuildFailed


@dataclass
class SizeResult:
    """Everything measured at one size."""

    rows: int  # as asked (--rows)
    database: str
    raw_rows: int
    raw_bytes: int  # pg_total_relation_size('raw.listing_rows')
    full: Build
    incrementals: list[Build]  # one per new file, in order; the first after the full build
    no_new_data: Build  # an incremental build after the last one, with no new file
    core: set[str]
    storage: dict[str, int]  # model schema -> bytes
    reference_s: float
    reference_listings: int
    reference_price_agrees: int  # listings whose reference price is unified_listings'
    unified_listings: int
    query_p95_ms: float
    query_median_ms: float
    query_rows: int
    score: dict[str, object]

    @property
    def incremental(self) -> Build:
        """The first incremental build after the full build."""
        return self.incrementals[0]

    @property
    def incremental_median_s(self) -> float:
        """The median run time of the incremental builds."""
        return statistics.median(b.run_s for b in self.incrementals)

    @property
    def storage_bytes(self) -> int:
        return sum(self.storage.values())

    def core_s(self, build: Build) -> float:
        return sum(s for m, s in build.models.items() if m in self.core)


# --- running things ---------------------------------------------------------------------


class ResiFailed(Exception):
    """The resi CLI exited with an error."""

    def __init__(self, args: tuple[str, ...], returncode: int, wall_s: float) -> None:
        super().__init__(f"resi {' '.join(args)} failed ({returncode})")
        self.wall_s = wall_s


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
        raise ResiFailed(args, result.returncode, elapsed)
    return elapsed


def connect_server(server: dict[str, str], dbname: str) -> psycopg.Connection:
    return psycopg.connect(
        host=server["PGHOST"],
        port=server["PGPORT"],
        user=server["PGUSER"],
        password=server.get("PGPASSWORD"),
        dbname=dbname,
        autocommit=True,
    )


def create_database(server: dict[str, str], name: str) -> None:
    with connect_server(server, server["PGDATABASE"]) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))


def limit_temp_files(server: dict[str, str], name: str, limit: str) -> None:
    """Give the scratch database a temp_file_limit (per process), if the role may."""
    with connect_server(server, server["PGDATABASE"]) as conn:
        try:
            conn.execute(
                sql.SQL("alter database {} set temp_file_limit = {}").format(
                    sql.Identifier(name), sql.Literal(limit)
                )
            )
        except psycopg.errors.InsufficientPrivilege:
            print(f"  (no temp_file_limit: {server.get('PGUSER')} is not a superuser)")


def drop_database(server: dict[str, str], name: str) -> None:
    with connect_server(server, server["PGDATABASE"]) as conn:
        conn.execute(
            sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name))
        )


def model_seconds() -> tuple[float, dict[str, float]]:
    """The last run's phase (elapsed_time) and per-model seconds (execution_time)."""
    results = json.loads((ROOT / "target" / "run_results.json").read_text())
    models = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results["results"]}
    return results["elapsed_time"], models


def failed_models() -> dict[str, str]:
    """The models of the last run that ended in an error, with the database's message (dbt
    wraps it in a "Database Error in model" line and a "compiled code at" line)."""
    results = json.loads((ROOT / "target" / "run_results.json").read_text())
    failed = {}
    for r in results["results"]:
        if r["status"] == "error":
            lines = [line.strip() for line in (r["message"] or "").splitlines()]
            told = [line for line in lines if line and not line.startswith(DBT_WRAPPING)]
            failed[r["unique_id"].split(".")[-1]] = told[0] if told else r["message"]
    return failed


def core_models() -> set[str]:
    """CORE_MARTS and every model upstream of them, by the manifest of the last run."""
    manifest = json.loads((ROOT / "target" / "manifest.json").read_text())
    parents = manifest["parent_map"]
    todo = [f"model.{manifest['metadata']['project_name']}.{m}" for m in CORE_MARTS]
    seen: set[str] = set()
    while todo:
        node = todo.pop()
        if node.startswith("model.") and node not in seen:
            seen.add(node)
            todo.extend(parents.get(node, []))
    return {node.split(".")[-1] for node in seen}


def model_schemas() -> list[str]:
    """The schemas the project's models are built in (by the manifest of the last run)."""
    manifest = json.loads((ROOT / "target" / "manifest.json").read_text())
    return sorted(
        {n["schema"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    )


# --- measuring --------------------------------------------------------------------------


def server_counters() -> tuple[str, int]:
    """(current WAL position, temp bytes of the database in use), read on a fresh
    connection a second after the last one closed: statistics are flushed lazily (PG 15
    when a backend goes idle or exits)."""
    time.sleep(1)
    with psycopg.connect(autocommit=True) as conn:
        conn.execute("select pg_stat_clear_snapshot()")
        row = conn.execute(
            "select pg_current_wal_lsn()::text, temp_bytes from pg_stat_database"
            " where datname = current_database()"
        ).fetchone()
    assert row is not None
    return row[0], int(row[1])


def timed_build(*dbt_args: str) -> Build:
    lsn, temp = server_counters()
    try:
        wall_s = resi(*dbt_args)
    except ResiFailed as failure:
        temp_after = server_counters()[1]
        raise BuildFailed(failure.wall_s, failed_models(), temp_after - temp) from failure
    run_s, models = model_seconds()
    lsn_after, temp_after = server_counters()
    with psycopg.connect(autocommit=True) as conn:
        wal = conn.execute("select pg_wal_lsn_diff(%s::pg_lsn, %s::pg_lsn)", [lsn_after, lsn])
        wal_bytes = int(wal.fetchone()[0])
    return Build(wall_s, run_s, models, wal_bytes, temp_after - temp)


def storage_by_schema(schemas: list[str]) -> dict[str, int]:
    """Bytes of every table and materialized view in the schemas, with their indexes and
    TOAST (pg_total_relation_size); views take none."""
    with psycopg.connect(autocommit=True) as conn:
        rows = conn.execute(
            "select n.nspname, coalesce(sum(pg_total_relation_size(c.oid)), 0)"
            " from pg_namespace n left join pg_class c"
            "   on c.relnamespace = n.oid and c.relkind in ('r', 'm', 'p')"
            " where n.nspname = any(%s) group by n.nspname",
            [schemas],
        ).fetchall()
    return {schema: int(size) for schema, size in rows}


def model_work_mem() -> str:
    """The work_mem the project's models run with (dbt_project.yml: vars.model_work_mem)."""
    project = yaml.safe_load((ROOT / "dbt_project.yml").read_text())
    return str(project["vars"]["model_work_mem"])


def run_reference() -> float:
    """Time scripts/bench_reference.sql into the schema bench_reference; return seconds.
    Run with the work_mem the project's models get (dbt_project.yml: model_work_mem) and
    without JIT, as the models run. It reads only the raw tables, so the bench runs it
    before the full build: at 10M raw rows its sort needs more temporary space than the
    disk keeps once the models are built, and more than the scratch database's
    temp_file_limit, which is there for the models (it is lifted for this session)."""
    with psycopg.connect(autocommit=True) as conn:
        conn.execute("select set_config('work_mem', %s, false)", [model_work_mem()])
        conn.execute("set jit = off")
        conn.execute("set temp_file_limit = -1")
        conn.execute("drop schema if exists bench_reference cascade")
        conn.execute("create schema bench_reference")
        start = time.perf_counter()
        conn.execute(REFERENCE_SQL.read_text())
        return time.perf_counter() - start


def compare_reference() -> tuple[int, int]:
    """After the full build: (reference listings, those whose price is unified_listings'
    price); drops the schema bench_reference."""
    with psycopg.connect(autocommit=True) as conn:
        row = conn.execute(
            "select count(*), count(*) filter (where u.price::text = r.price)"
            " from bench_reference.unified r left join marts.unified_listings u using (zpid)"
        ).fetchone()
        conn.execute("drop schema bench_reference cascade")
    assert row is not None
    return int(row[0]), int(row[1])


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def realtime_query() -> tuple[float, float, int]:
    """(p95 ms, median ms, rows) of the real-time query over 20 runs after a warm-up."""
    resi(
        "dbt",
        "compile",
        "--quiet",
        "-s",
        "realtime_listing_search",
        "--vars",
        json.dumps(SEARCH_VARS),
    )
    query = (ROOT / "target/compiled/resi_unified/analyses/realtime_listing_search.sql").read_text()
    samples = []
    with psycopg.connect(autocommit=True) as conn:
        conn.execute("vacuum analyze intermediate.int_unified_listings")
        conn.execute("vacuum analyze intermediate.int_report_attestations")
        returned = len(conn.execute(query).fetchall())  # warm-up
        for _ in range(20):
            start = time.perf_counter()
            conn.execute(query).fetchall()
            samples.append((time.perf_counter() - start) * 1000)
    return p95(samples), sorted(samples)[9], returned


def write_new_file(buckets: list[Path], out: Path, rows: int = 1000) -> Path:
    """One new file from an existing miner: `rows` listings it already reported, re-reported
    an hour after the newest object of `buckets`, a tenth of them at a 3% lower price."""
    files = sorted(
        (path for bucket in buckets for path in bucket.rglob("*.parquet")),
        key=lambda p: (p.stat().st_mtime, str(p)),
    )
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


def load_scoring() -> ModuleType:
    spec = importlib.util.spec_from_file_location("score", ROOT / "scripts" / "score.py")
    assert spec is not None and spec.loader is not None
    scoring = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scoring)
    return scoring


def write_rescrapes(sim: Path, out: Path, files: int) -> None:
    """`files` new files in `out` (unless it holds them already), each re-reporting the
    1,000 listings of the one before, an hour later (write_new_file)."""
    if len(list(out.rglob("*.parquet"))) == files:
        return
    shutil.rmtree(out, ignore_errors=True)
    for _ in range(files):
        write_new_file([sim / "bucket", out], out)


def simulate(rows: int, miners: int, sim: Path) -> None:
    """Simulate a network of about `rows` raw rows into sim, unless it holds one already."""
    if not (sim / "truth" / "miners.json").exists():
        listings = max(100, round(rows / ROWS_PER_LISTING))
        print(f"  simulating {listings:,} listings from {miners} miners ...", flush=True)
        resi("simulate", str(sim), "--listings", str(listings), "--miners", str(miners))


def load(buckets: list[Path]) -> tuple[int, int]:
    """Load each folder in turn; (raw rows, raw bytes)."""
    load_s = sum(resi("load", str(bucket)) for bucket in buckets)
    with psycopg.connect(autocommit=True) as conn:
        row = conn.execute(
            "select count(*), pg_total_relation_size('raw.listing_rows') from raw.listing_rows"
        ).fetchone()
    assert row is not None
    print(f"  {row[0]:,} raw rows ({mb(row[1])}) loaded in {load_s:.1f} s", flush=True)
    return int(row[0]), int(row[1])


def timed_incremental_builds(buckets: list[Path], new_files: Path, runs: int) -> list[Build]:
    """`runs` times: write and load one new file (after the newest object of `buckets`),
    then time the incremental build."""
    shutil.rmtree(new_files, ignore_errors=True)
    builds: list[Build] = []
    for run in range(1, runs + 1):
        out = new_files / f"run-{run}"
        new_file = write_new_file([*buckets, new_files], out)
        resi("load", str(out))
        print(
            f"  incremental build {run} of {runs} after one new file ({new_file.name}) ...",
            flush=True,
        )
        builds.append(timed_build(*DBT_RUN))
    return builds


def measure_size(
    rows: int, miners: int, work: Path, database_name: str, incremental_runs: int, rescrapes: int
) -> SizeResult | SizeFailure:
    """Everything at one size, in the database `database_name` (already created and in
    use); what was measured before the full build failed, if it did."""
    sim = work / f"sim-{rows}"
    simulate(rows, miners, sim)
    buckets = [sim / "bucket"]
    if rescrapes:
        buckets.append(work / f"rescrapes-{rows}-{rescrapes}")
        print(f"  {rescrapes} re-scrapes of 1,000 listings by one miner ...", flush=True)
        write_rescrapes(sim, buckets[-1], rescrapes)
    raw_rows, raw_bytes = load(buckets)
    print("  reference (scripts/bench_reference.sql) ...", flush=True)
    reference_s = run_reference()
    resi("dbt", "seed", "--quiet")

    print("  full build (dbt run --full-refresh) ...", flush=True)
    try:
        full = timed_build(*DBT_RUN, "--full-refresh")
    except BuildFailed as failed:
        return SizeFailure(rows, database_name, raw_rows, raw_bytes, failed)
    core, schemas = core_models(), model_schemas()
    storage = storage_by_schema(schemas)
    reference_listings, price_agrees = compare_reference()

    incrementals = timed_incremental_builds(buckets, work / f"new-{rows}", incremental_runs)
    print("  incremental build with no new file ...", flush=True)
    no_new_data = timed_build(*DBT_RUN)

    p95_ms, median_ms, query_rows = realtime_query()
    with psycopg.connect(autocommit=True) as conn:
        unified = conn.execute("select count(*) from marts.unified_listings").fetchone()
    assert unified is not None
    score = load_scoring().score(sim, rule="method", show=0)
    return SizeResult(
        rows=rows,
        database=database_name,
        raw_rows=raw_rows,
        raw_bytes=raw_bytes,
        full=full,
        incrementals=incrementals,
        no_new_data=no_new_data,
        core=core,
        storage=storage,
        reference_s=reference_s,
        reference_listings=reference_listings,
        reference_price_agrees=price_agrees,
        unified_listings=int(unified[0]),
        query_p95_ms=p95_ms,
        query_median_ms=median_ms,
        query_rows=query_rows,
        score=score,
    )


# --- printing ---------------------------------------------------------------------------


def mb(n: float) -> str:
    return f"{n / 1e6:,.1f} MB"


def columns(models: dict[str, float], per_line: int = 3) -> list[str]:
    """'model  1.2 s' cells, slowest first, `per_line` to a line."""
    cells = [f"{m:<34}{s:>7.2f} s" for m, s in sorted(models.items(), key=lambda x: -x[1])]
    return ["    " + "   ".join(cells[i : i + per_line]) for i in range(0, len(cells), per_line)]


def incremental_target_s(raw_rows: int) -> float:
    """Issue 13: model time (the run) under 3 s after one new file, growing <= 0.5 s per M
    raw rows."""
    return 3 + 0.5 * raw_rows / 1e6


def print_heading(r: SizeResult | SizeFailure) -> None:
    print(f"\n== {r.raw_rows:,} raw rows ({mb(r.raw_bytes)} raw.listing_rows), {r.database}")


def print_failure(r: SizeFailure) -> None:
    e = r.error
    print_heading(r)
    print(
        f"full build         FAILED after {e.wall_s:.1f} s wall; temp {mb(e.temp_bytes)}"
        f" ({e.temp_bytes / r.raw_bytes:.2f}x raw) until then. Failed models:"
    )
    for model, message in e.failed.items():
        print(f"    {model}: {message}")


def print_size(r: SizeResult) -> None:
    full, incr = r.full, r.incremental
    per_m = full.wall_s / (r.raw_rows / 1e6)
    print_heading(r)
    print(
        f"full build         {full.wall_s:8.1f} s wall, run {full.run_s:.1f} s, models"
        f" {full.model_s:.1f} s added up,"
        f" {per_m:,.0f} s per M raw rows (target <= 90); core models {r.core_s(full):.1f} s"
    )
    print("\n".join(columns(full.models)))
    print(
        f"incremental build  {incr.wall_s:8.1f} s wall, run {incr.run_s:.2f} s"
        f" (target <= {incremental_target_s(r.raw_rows):.2f} s: 3 s + 0.5 s per M raw rows),"
        f" models {incr.model_s:.2f} s added up;"
        f" core models {r.core_s(incr):.2f} s; 10 slowest:"
    )
    print("\n".join(columns(dict(sorted(incr.models.items(), key=lambda x: -x[1])[:10]))))
    runs = ", ".join(f"{b.run_s:.2f}" for b in r.incrementals)
    print(
        f"incremental runs   {runs} s, one new file each; median {r.incremental_median_s:.2f} s"
        f" (target <= {incremental_target_s(r.raw_rows):.2f} s)"
    )
    print(
        f"no new data        run {r.no_new_data.run_s:.2f} s, models"
        f" {r.no_new_data.model_s:.2f} s added up: every node's own work without new rows;"
        f" the new file added {r.incremental_median_s - r.no_new_data.run_s:.2f} s (median)"
    )
    schemas = ", ".join(f"{s} {mb(b)}" for s, b in sorted(r.storage.items()))
    print(
        f"storage            {mb(r.storage_bytes)} = {r.storage_bytes / r.raw_bytes:.1f}x raw"
        f" (target <= 4x; model schemas: {schemas})"
    )
    for name, b in (("full", full), ("incremental", incr)):
        print(
            f"{name + ' build':<18} WAL {mb(b.wal_bytes)} ({b.wal_bytes / r.raw_bytes:.1f}x raw),"
            f" temp {mb(b.temp_bytes)} ({b.temp_bytes / r.raw_bytes:.2f}x raw; target <= 1x)"
        )
    print(
        f"reference          {r.reference_s:8.1f} s, {r.reference_listings:,} listings"
        f" ({r.unified_listings:,} in unified_listings; price the same for"
        f" {r.reference_price_agrees / max(r.reference_listings, 1):.1%}); full build /"
        f" reference {full.wall_s / r.reference_s:.1f}x, core models / reference"
        f" {r.core_s(full) / r.reference_s:.1f}x"
    )
    print(
        f"real-time query    p95 {r.query_p95_ms:.1f} ms (20 runs, {r.query_rows} rows,"
        f" median {r.query_median_ms:.1f} ms; target < 100 ms)"
    )
    s = r.score
    print(
        f"score (method)     listings right {s['listings_right']:.2%}, price right"
        f" {s['price_right']:.2%}, silently wrong {s['silently_wrong']:.2%}"
        f" of {s['listings']:,} truth listings"
    )


def machine() -> str:
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    with psycopg.connect(autocommit=True) as conn:
        version = conn.execute("select version()").fetchone()[0]
    return f"{os.cpu_count()} CPUs, {mem_kb / 1024**2:.1f} GiB RAM; {version}"


def print_summary(results: list[SizeResult | SizeFailure], server: dict[str, str]) -> None:
    table = Table(title="dbt benchmark", box=box.SIMPLE_HEAD)
    for name in (
        "raw rows", "full s", "s per M rows", "incr s\nwall / run / models",
        "incr run s\nmedian", "no new\ndata s", "storage\nx raw",
        "WAL MB\nfull / incr", "temp x raw\nfull / incr", "query\np95 ms", "reference s",
        "full /\nreference",
    ):  # fmt: skip
        table.add_column(name, justify="right")
    for r in results:
        if isinstance(r, SizeFailure):
            e = r.error
            table.add_row(
                f"{r.raw_rows:,}", f"failed after {e.wall_s:.0f} s", "", "", "", "", "", "",
                f"{e.temp_bytes / r.raw_bytes:.2f} / -", "", "", "",
            )  # fmt: skip
            continue
        full, incr = r.full, r.incremental
        table.add_row(
            f"{r.raw_rows:,}",
            f"{full.wall_s:.1f}",
            f"{full.wall_s / (r.raw_rows / 1e6):,.0f}",
            f"{incr.wall_s:.1f} / {incr.run_s:.1f} / {incr.model_s:.1f}",
            f"{r.incremental_median_s:.2f} of {len(r.incrementals)}",
            f"{r.no_new_data.run_s:.2f}",
            f"{r.storage_bytes / r.raw_bytes:.1f}",
            f"{full.wal_bytes / 1e6:,.0f} / {incr.wal_bytes / 1e6:,.0f}",
            f"{full.temp_bytes / r.raw_bytes:.2f} / {incr.temp_bytes / r.raw_bytes:.2f}",
            f"{r.query_p95_ms:.1f}",
            f"{r.reference_s:.1f}",
            f"{full.wall_s / r.reference_s:.1f}",
        )
    console = Console(width=150)
    console.print(table)
    for r in results:
        if isinstance(r, SizeFailure):
            print(f"failed at {r.raw_rows:>11,} raw rows: {', '.join(r.error.failed)}")
            continue
        s = r.score
        print(
            f"score at {r.raw_rows:>12,} raw rows: listings right {s['listings_right']:.2%},"
            f" price right {s['price_right']:.2%}, silently wrong {s['silently_wrong']:.2%}"
        )
    print(f"machine: {machine()}")
    print(f"server:  {database.describe(server)}")
    print(
        "targets: full <= 90 s per M raw rows, incremental run <= 3 s + 0.5 s per M raw"
        " rows, storage <= 4x raw, temp <= 1x raw, query p95 < 100 ms; WAL is server-wide"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows",
        type=int,
        nargs="+",
        default=[100_000, 1_000_000],
        help="raw rows to simulate, one size or more",
    )
    parser.add_argument("--miners", type=int, default=20)
    parser.add_argument(
        "--incremental-runs",
        type=int,
        default=3,
        help="incremental builds after the full build, one new file each",
    )
    parser.add_argument(
        "--rescrapes",
        type=int,
        default=0,
        help="files of one miner re-reporting the same 1,000 listings, loaded before the"
        " full build: a history this many reports deep for them",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases and files")
    parser.add_argument("--work", type=Path, help="folder for the simulated networks (kept)")
    parser.add_argument(
        "--temp-file-limit",
        default="8GB",
        help="temp_file_limit of each scratch database, per process ('-1': none)",
    )
    args = parser.parse_args(argv)
    if args.incremental_runs < 1:
        parser.error("--incremental-runs must be at least 1")
    if args.rescrapes < 0:
        parser.error("--rescrapes must be 0 or more")

    server = database.libpq_env()
    work = args.work or Path(tempfile.mkdtemp(prefix="resi-bench-dbt-"))
    results: list[SizeResult | SizeFailure] = []
    kept: list[str] = []
    try:
        for rows in args.rows:
            name = f"resi_bench_dbt_{uuid.uuid4().hex[:8]}"
            print(f"\n== size {rows:,} raw rows: database {name}", flush=True)
            create_database(server, name)
            limit_temp_files(server, name, args.temp_file_limit)
            os.environ.update({**server, "PGDATABASE": name})
            try:
                results.append(
                    measure_size(
                        rows, args.miners, work, name, args.incremental_runs, args.rescrapes
                    )
                )
            finally:
                if args.keep:
                    kept.append(name)
                else:
                    drop_database(server, name)
            result = results[-1]
            if isinstance(result, SizeFailure):
                print_failure(result)
            else:
                print_size(result)
        os.environ.update(server)
        print()
        print_summary(results, server)
        return 0
    finally:
        if args.keep:
            print(f"kept databases {', '.join(kept)} and {work}")
        elif args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ResiFailed as failed:  # a step other than a build: nothing to measure past it
        sys.exit(str(failed))
