"""End to end on a small simulated network: load, seed, build (models, tests, unit tests),
score against the simulator's truth, then prove that an incremental build after new files
gives exactly the marts a full refresh gives."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
from helpers import resi

from resi import PROJECT_ROOT

MARTS = {
    "marts.unified_listings": "zpid",
    "marts.listing_consensus": "zpid, field_name, field_value",
    "marts.miner_attestations": "attestation_id",
    "intermediate.int_report_attestations": "attestation_id",
    "intermediate.int_miner_listing_agreement": "zpid, miner_hotkey",
    "intermediate.int_source_files_checked": "file_id",
    "marts.miner_performance": "miner_hotkey",
    "intermediate.int_listing_rows_normalized": "file_id, row_index",
    "marts.miner_reliability": "miner_hotkey",
    "intermediate.int_source_reliability": "source_key, field_name",
    "intermediate.int_consensus_votes": "zpid, field_name, source_key",
    "intermediate.int_consensus_votes_by_report": "attestation_id",
    "marts.listing_history": "zpid, field_name, valid_from",
    "intermediate.int_listing_intervals": "zpid, field_name, valid_from",
    "marts.listing_changes": "zpid, field_name, changed_at",
}


def copy_files(files: list[Path], src_root: Path, dst_root: Path) -> None:
    for path in files:
        target = dst_root / path.relative_to(src_root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)  # keeps the mtime: the simulated server time


def snapshot(conn: psycopg.Connection) -> dict[str, tuple[int, str]]:
    """Row count and md5 of each mart's rows in key order."""
    result = {}
    for table, key in MARTS.items():
        row = conn.execute(
            f"select count(*), md5(coalesce(string_agg(t::text, E'\\n' order by {key}), ''))"
            f" from {table} as t"
        ).fetchone()
        assert row is not None
        result[table] = (row[0], row[1])
    return result


def late_commit_of_a_loaded_file(bucket: Path) -> str:
    """Copy the first loaded file to another hotkey's folder, one minute older; its hotkey."""
    with psycopg.connect(autocommit=True) as conn:
        row = conn.execute(
            "select key, hotkey from raw.source_files where status = 'loaded'"
            " order by file_id limit 1"
        ).fetchone()
        assert row is not None
        other = conn.execute(
            "select hotkey from raw.source_files where hotkey <> %s and hotkey is not null"
            " order by file_id limit 1",
            [row[1]],
        ).fetchone()
        assert other is not None
    original = bucket / row[0]
    late = bucket / row[0].replace(f"hotkey={row[1]}/", f"hotkey={other[0]}/")
    late.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(original, late)
    mtime = original.stat().st_mtime - 60
    os.utime(late, (mtime, mtime))
    return str(other[0])


def test_pipeline_scores_and_incremental_equals_full_refresh(scratch_db, tmp_path: Path) -> None:
    sim = tmp_path / "sim"
    resi(scratch_db, "simulate", str(sim), "--listings", "300", "--miners", "12", "--bad")
    every_file = sorted(
        (p for p in (sim / "bucket").rglob("*") if p.is_file()),
        key=lambda p: (p.stat().st_mtime, str(p)),
    )
    cut = int(len(every_file) * 0.7)
    bucket = tmp_path / "bucket"

    # first batch: the older 70% of the objects, a full build with every test
    copy_files(every_file[:cut], sim / "bucket", bucket)
    resi(scratch_db, "load", str(bucket))
    resi(scratch_db, "dbt", "seed", "--quiet")
    resi(scratch_db, "dbt", "build", "--exclude", "resource_type:seed")

    # second batch: the rest arrives; an incremental build, again with every test
    copy_files(every_file[cut:], sim / "bucket", bucket)
    # and a late commit: another hotkey's upload of a first-batch file's bytes, with an
    # earlier server time, makes that file a duplicate of the new one
    late_original = late_commit_of_a_loaded_file(bucket)
    resi(scratch_db, "load", str(bucket))
    build = resi(scratch_db, "dbt", "build", "--exclude", "resource_type:seed")
    assert "ERROR=0" in build.stdout
    # warnings only from the alert tests (warn-level by design, they fire on a --bad network)
    warned = re.findall(r" WARN \d+ (\S+)", build.stdout)
    assert all(name.startswith("alert_") for name in warned), warned
    assert "deprecat" not in build.stdout.lower()

    score = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "score.py"), str(sim), "--min", "0.99"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert score.returncode == 0, score.stdout + score.stderr

    with psycopg.connect(autocommit=True) as conn:
        incremental = snapshot(conn)
        copied = conn.execute(
            "select count(*) from intermediate.int_source_files_checked"
            " where is_copied_file and original_miner_hotkey = %s",
            [late_original],
        ).fetchone()
        assert copied is not None and copied[0] >= 1
        # the incremental run really was incremental: marts recomputed only touched listings
        marks = conn.execute("select count(*) from intermediate.incremental_watermarks").fetchone()
        assert marks is not None and marks[0] == 8
    resi(scratch_db, "dbt", "run", "--full-refresh", "--exclude", "resource_type:seed")
    with psycopg.connect(autocommit=True) as conn:
        full = snapshot(conn)
    assert incremental["marts.unified_listings"][0] == 300
    assert incremental == full

    # a full build in slices of listings (macros/listing_slices.sql) gives the same marts
    sliced_build = resi(
        scratch_db,
        "dbt",
        "run",
        "--debug",
        "--full-refresh",
        "--exclude",
        "resource_type:seed",
        "--vars",
        "{listing_slice_reports: 500}",
    )
    slices = sliced_build.stdout.count("set_config('resi.listing_slice_first'")
    assert slices >= 8 * 4, slices  # the 8 by-listing models, each in several slices
    with psycopg.connect(autocommit=True) as conn:
        assert snapshot(conn) == full


def test_between_reestimates_incremental_equals_a_full_refresh_with_the_same_weights(
    scratch_db, tmp_path: Path
) -> None:
    """The network-wide estimates (tag `estimate`: source weights, copy relations,
    coordinated groups, miner reliability) and the quality marts (tag `reporting`) are
    refreshed once the raw rows grow by 10% (var consensus_reestimate_growth); a smaller
    batch is judged with the estimates already made. Then every mart must equal a full
    refresh of everything but those."""
    sim = tmp_path / "sim"
    resi(scratch_db, "simulate", str(sim), "--listings", "300", "--miners", "12")
    every_file = sorted(
        (p for p in (sim / "bucket").rglob("*.parquet")),
        key=lambda p: (p.stat().st_mtime, str(p)),
    )
    bucket = tmp_path / "bucket"
    copy_files(every_file[:-1], sim / "bucket", bucket)
    resi(scratch_db, "load", str(bucket))
    resi(scratch_db, "dbt", "seed", "--quiet")
    resi(scratch_db, "dbt", "run", "--quiet", "--exclude", "resource_type:seed")
    weights_query = (
        "select model_name, estimated_over_rows from intermediate.refreshes_on_growth"
        " order by model_name"
    )
    with psycopg.connect(autocommit=True) as conn:
        estimated = conn.execute(weights_query).fetchall()

    copy_files(every_file[-1:], sim / "bucket", bucket)
    resi(scratch_db, "load", str(bucket))
    resi(scratch_db, "dbt", "run", "--quiet", "--exclude", "resource_type:seed")
    with psycopg.connect(autocommit=True) as conn:
        # the new file is well under 10% of the rows: nothing was re-estimated
        assert len(estimated) == 11
        assert conn.execute(weights_query).fetchall() == estimated
        new_rows = conn.execute(
            "select count(*) from raw.listing_rows where file_id = (select max(file_id)"
            " from raw.source_files where status = 'loaded')"
        ).fetchone()
        assert new_rows is not None and new_rows[0] > 0
        incremental = snapshot(conn)

    resi(
        scratch_db, "dbt", "run", "--quiet", "--full-refresh",
        "--exclude", "resource_type:seed", "tag:estimate", "tag:reporting",
    )  # fmt: skip
    with psycopg.connect(autocommit=True) as conn:
        assert snapshot(conn) == incremental
