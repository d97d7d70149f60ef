"""Exactly once under stress: a loader killed with SIGKILL mid-file, two loaders at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from resi.database import connection as database

BIG_ROWS = 300_000


def _consistent() -> tuple[int, int]:
    """(loaded files, rows) after asserting raw holds whole files only."""
    with database.connect() as conn:
        orphans = conn.execute(
            """
            select count(*) from raw.listing_rows r
            where not exists (select 1 from raw.source_files f
                              where f.file_id = r.file_id and f.status = 'loaded')
            """
        ).fetchone()[0]
        assert orphans == 0
        short = conn.execute(
            """
            select f.key, f.row_count, count(r.file_id)
            from raw.source_files f left join raw.listing_rows r using (file_id)
            group by f.file_id having f.row_count is distinct from count(r.file_id)
               and f.status = 'loaded'
            """
        ).fetchall()
        assert short == []
        files, rows = conn.execute(
            "select count(*), coalesce(sum(row_count), 0) from raw.source_files "
            "where status = 'loaded'"
        ).fetchone()
    return files, rows


def _loader(folder: Path, *options: str, **popen) -> subprocess.Popen:
    env = {**os.environ, "RESI_LOAD_BATCH_ROWS": "10000"}
    return subprocess.Popen(
        [sys.executable, "-m", "resi.cli", "load", str(folder), *options],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def test_sigkill_mid_file_leaves_whole_files_and_a_rerun_finishes(
    scratch_db: dict, tmp_path: Path, miner_files
) -> None:
    frame, key = miner_files
    small = tmp_path / key("5HkA", count=10)  # sorts (and loads) before the big one
    small.parent.mkdir(parents=True)
    frame(10).to_parquet(small, index=False)
    big = tmp_path / key("5HkB", count=BIG_ROWS)
    big.parent.mkdir(parents=True)
    frame(BIG_ROWS, seed=1).to_parquet(big, index=False)

    proc = _loader(tmp_path)
    db = scratch_db["PGDATABASE"]
    copied = 0
    with database.connect(autocommit=True) as watch:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            row = watch.execute(
                "select tuples_processed from pg_stat_progress_copy p "
                "join pg_stat_activity a using (pid) where a.datname = %s",
                [db],
            ).fetchone()
            if row and row[0] > 0:
                copied = row[0]
                break
            time.sleep(0.005)
        assert proc.poll() is None, "the loader finished before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert 0 < copied < BIG_ROWS
        # the server notices the lost client and rolls its transaction back
        deadline = time.monotonic() + 30
        while watch.execute(
            "select count(*) from pg_stat_activity where datname = %s and application_name = 'resi'"
            " and pid <> pg_backend_pid()",
            [db],
        ).fetchone()[0]:
            assert time.monotonic() < deadline
            time.sleep(0.05)

    files, rows = _consistent()
    assert (files, rows) in {(0, 0), (1, 10)}  # the small file is whole or absent
    with database.connect() as conn:
        assert (
            conn.execute(
                "select count(*) from raw.source_files where key = %s",
                [big.relative_to(tmp_path).as_posix()],
            ).fetchone()[0]
            == 0
        )

    rerun = _loader(tmp_path, "--json")
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    summary = json.loads(out)
    assert summary["files_loaded"] == 2 - files
    assert _consistent() == (2, 10 + BIG_ROWS)
    with database.connect() as conn:
        runs = conn.execute("select status from raw.load_runs order by load_run_id").fetchall()
    assert runs == [("failed",), ("succeeded",)]  # the killed run is closed, not 'running'


def test_two_loaders_at_once_load_each_file_exactly_once(
    scratch_db: dict, tmp_path: Path, miner_files
) -> None:
    frame, key = miner_files
    sizes = [20000 + 100 * i for i in range(12)]
    for i, rows in enumerate(sizes):
        path = tmp_path / key(f"5Hk{i:02d}", count=rows)
        path.parent.mkdir(parents=True)
        frame(rows, seed=i).to_parquet(path, index=False)
    (tmp_path / "junk.parquet").write_bytes(b"junk")
    first = _loader(tmp_path, "--json")
    second = _loader(tmp_path, "--json", "--workers", "2")
    summaries = []
    for proc in (first, second):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        summaries.append(json.loads(out))
    for s in summaries:  # each loader accounts for every object: loaded, skipped or rejected
        assert s["files_loaded"] + s["files_skipped"] + s["files_rejected"] == 13
    assert sum(s["files_loaded"] for s in summaries) == len(sizes)
    assert sum(s["files_rejected"] for s in summaries) == 1
    assert _consistent() == (len(sizes), sum(sizes))
    with database.connect() as conn:
        assert conn.execute("select count(*) from raw.source_files").fetchone()[0] == 13
