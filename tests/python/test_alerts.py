"""Quality alerts: each kind fires on a simulated network built to trigger it, and a clean
network stays quiet; `resi alerts` prints them and exits for schedulers.

Two small networks, each loaded and built once for the module:
- clean: 3 honest miners (the simulator's planted claimed-count mismatches renamed away,
  its files with a missing or an extra column rewritten with the 18 columns);
- triggered: the same bucket plus, one per alert kind, what a misbehaving miner does:
  files copied byte for byte (duplicate flood), a liar's files, a clock hours off, a key
  claiming the wrong count, a file that is not Parquet, a sudden flood of rows, a file
  written with pandas without a `price` column (schema drift); the stale source by moving
  the manifest's load times back.
"""

from __future__ import annotations

import calendar
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from helpers import connect, dbt_paths, new_database, resi

ROOT = Path(__file__).resolve().parents[2]
KEY = re.compile(
    r"^data/hotkey=(?P<hotkey>[^/]+)/job_id=(?P<job>[^/]+)/"
    r"data_(?P<stamp>\d{8}_\d{6})_(?P<count>\d+)\.parquet$"
)
LIAR = "5LiarLiarLiarLiarLiarLiarLiarLiarLiarLiarLiar111"
COPYCAT = "5CopycatCopycatCopycatCopycatCopycatCopycat1111"
SPIKER = "5SpikeSpikeSpikeSpikeSpikeSpikeSpikeSpikeSpike1"
DRIFTER = "5DriftDriftDriftDriftDriftDriftDriftDriftDrift1"


# --- networks ------------------------------------------------------------------------


def dbt(env: dict[str, str], work: Path, *args: str, check: bool = True):
    return resi(env, "dbt", *args, *dbt_paths(work), check=check)


def build_database(server_env: dict[str, str], bucket: Path, work: Path) -> Iterator[dict]:
    """A new database with `bucket` loaded, the seeds and every model built."""
    with new_database(server_env) as env:
        resi(env, "load", str(bucket))
        dbt(env, work, "seed", "--quiet")
        dbt(env, work, "run", "--quiet")
        yield env


def files_of(bucket: Path, hotkey: str) -> list[Path]:
    return sorted((bucket / "data" / f"hotkey={hotkey}").rglob("*.parquet"))


def rename_key(path: Path, *, shift_s: int = 0, count: int | None = None) -> Path:
    """Rename a file to another claimed timestamp and/or count (mtime kept)."""
    match = re.match(r"data_(\d{8}_\d{6})_(\d+)\.parquet$", path.name)
    assert match, path
    stamp = time.strptime(match.group(1), "%Y%m%d_%H%M%S")
    epoch = calendar.timegm(stamp) + shift_s
    new_stamp = time.strftime("%Y%m%d_%H%M%S", time.gmtime(epoch))
    new = path.with_name(
        f"data_{new_stamp}_{count if count is not None else match.group(2)}.parquet"
    )
    path.rename(new)
    return new


def conform_columns(path: Path) -> None:
    """Rewrite a file with exactly the 18 listing columns (a missing one as all-null),
    keeping its name and mtime."""
    from resi.simulation.network import COLUMNS

    stat = path.stat()
    frame = pd.read_parquet(path).reindex(columns=COLUMNS)
    frame.to_parquet(path, index=False)
    os.utime(path, (stat.st_atime, stat.st_mtime))


def write_miner_file(
    bucket: Path, hotkey: str, job: str, frame: pd.DataFrame, server_time: int
) -> Path:
    """Write a DataFrame the way miners do, named from its own clock and row count, with
    the server time as mtime."""
    stamp = time.strftime("%Y%m%d_%H%M%S", time.gmtime(server_time - 30))
    path = (
        bucket
        / "data"
        / f"hotkey={hotkey}"
        / f"job_id={job}"
        / f"data_{stamp}_{len(frame)}.parquet"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    os.utime(path, (server_time, server_time))
    return path


@pytest.fixture(scope="module")
def clean_bucket(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """3 honest miners, 150 listings; the simulator's deliberate claimed-count mismatches
    are renamed to the true counts so that nothing is wrong with this network."""
    from resi.simulation import writer

    out = tmp_path_factory.mktemp("clean")
    writer.write_network(out, seed=46, listings=150, miners=3, bad=False)
    truth = json.loads((out / "truth" / "miners.json").read_text())
    for special in truth["special_files"]:
        path = out / "bucket" / special["key"]
        if any(note.startswith(("missing_column:", "extra_column:")) for note in special["notes"]):
            conform_columns(path)
        if "claimed_count_mismatch" in special["notes"]:
            rename_key(path, count=special["actual_count"])
    return out / "bucket", truth


@pytest.fixture(scope="module")
def clean_db(server_env, clean_bucket, tmp_path_factory) -> Iterator[dict]:
    yield from build_database(server_env, clean_bucket[0], tmp_path_factory.mktemp("clean_dbt"))


@pytest.fixture(scope="module")
def triggered(server_env, clean_bucket, tmp_path_factory) -> Iterator[tuple[dict, dict, Path]]:
    """The clean network plus one misbehaviour per alert kind; yields (env, subjects, work)."""
    source, truth = clean_bucket
    bucket = tmp_path_factory.mktemp("triggered") / "bucket"
    shutil.copytree(source, bucket)  # copy2: mtimes (server times) kept
    honest_a, honest_b, honest_c = (m["hotkey"] for m in truth["miners"])
    b_files = files_of(bucket, honest_b)
    mtimes = [int(p.stat().st_mtime) for p in b_files]
    first, last = min(mtimes), max(mtimes)
    final_round = [p for p in b_files if p.stat().st_mtime > last - 86400]

    # clock_skew: every file of miner C named 5 hours after its server time
    for path in files_of(bucket, honest_c):
        rename_key(path, shift_s=5 * 3600)
    # claimed_count_mismatch: one of miner A's keys claims 7 rows more than it has
    a_file = files_of(bucket, honest_a)[0]
    rename_key(a_file, count=int(a_file.name.rsplit("_", 1)[1].split(".")[0]) + 7)
    # rejected_files: miner A uploads something that is not Parquet
    junk = write_miner_file(bucket, honest_a, "zillow_premium_zip_77494_sold",
                            pd.DataFrame({"x": [1]}), last)  # fmt: skip
    junk.write_bytes(b"this is not a parquet file")
    os.utime(junk, (last, last))
    # duplicate_flood: a copycat re-uploads five of miner B's files byte for byte
    for path in b_files[:5]:
        match = KEY.match(path.relative_to(bucket).as_posix())
        assert match
        t = int(path.stat().st_mtime) + 3600
        stamp = time.strftime("%Y%m%d_%H%M%S", time.gmtime(t - 30))
        copy = bucket / "data" / f"hotkey={COPYCAT}" / f"job_id={match['job']}"
        copy.mkdir(parents=True, exist_ok=True)
        target = copy / f"data_{stamp}_{match['count']}.parquet"
        shutil.copyfile(path, target)
        os.utime(target, (t, t))
    # low_agreement: a liar reports B's final-round listings with price and bedrooms wrong,
    # before everyone else (so that in a one-against-one tie the honest, later report wins)
    lies = pd.concat([pd.read_parquet(p) for p in final_round[:8]], ignore_index=True)
    lies["price"] = (lies["price"].astype(float) * 1.3).round(-2)
    lies["bedrooms"] = lies["bedrooms"].astype(float) + 1
    write_miner_file(bucket, LIAR, "zillow_testnet_all", lies, first - 86400)
    # volume_spike: a miner sends 40 rows a day for two days, then 600 rows in one day
    honest_rows = pd.concat([pd.read_parquet(p) for p in final_round], ignore_index=True)
    for day, rows in ((1, 40), (2, 40), (3, 600)):
        frame = honest_rows.sample(n=rows, replace=True, random_state=day).reset_index(drop=True)
        write_miner_file(bucket, SPIKER, "zillow_testnet_all", frame, last + day * 86400)

    # schema_drift: a miner whose pandas file has no `price` column at all
    no_price = honest_rows.head(30).drop(columns=["price"])
    write_miner_file(bucket, DRIFTER, "zillow_testnet_all", no_price, last)

    subjects = {
        "schema_drift": DRIFTER,
        "clock_skew": honest_c,
        "claimed_count_mismatch": honest_a,
        "rejected_files": honest_a,
        "duplicate_flood": COPYCAT,
        "low_agreement": LIAR,
        "volume_spike": SPIKER,
    }
    work = tmp_path_factory.mktemp("triggered_dbt")
    for env in build_database(server_env, bucket, work):
        yield env, subjects, work


def open_alerts(env: dict[str, str]) -> list[dict]:
    with connect(env) as conn:
        cur = conn.execute("select * from marts.quality_alerts order by kind, subject")
        names = [d.name for d in cur.description or []]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


# --- tests ---------------------------------------------------------------------------


def test_clean_network_is_quiet(clean_db):
    assert open_alerts(clean_db) == []
    proc = resi(clean_db, "alerts", "--fail-on", "warn")
    assert proc.returncode == 0
    assert "no open alerts" in proc.stdout


@pytest.mark.parametrize(
    "kind",
    [
        "low_agreement",
        "duplicate_flood",
        "claimed_count_mismatch",
        "clock_skew",
        "rejected_files",
        "volume_spike",
        "schema_drift",
    ],
)
def test_each_alert_fires_on_its_misbehaviour(triggered, kind):
    env, subjects, _ = triggered
    alerts = [a for a in open_alerts(env) if a["kind"] == kind]
    assert subjects[kind] in {a["subject"] for a in alerts}, alerts
    for alert in alerts:
        assert alert["severity"] in ("warn", "error")
        assert alert["figure"] is not None and alert["threshold"] is not None
        assert alert["first_seen_at"] is not None and alert["details"]


def test_triggered_alerts_name_only_the_misbehaving(triggered, clean_bucket):
    env, subjects, _ = triggered
    honest_b = clean_bucket[1]["miners"][1]["hotkey"]
    flagged = {a["subject"] for a in open_alerts(env)}
    assert honest_b not in flagged
    assert flagged <= set(subjects.values()) | {"network"}
    kinds = {a["kind"]: a for a in open_alerts(env) if a["subject"] == subjects.get(a["kind"])}
    assert kinds["duplicate_flood"]["severity"] == "error"  # every file a copy
    assert kinds["low_agreement"]["severity"] == "error"  # 2 of 16 fields wrong: 0.875
    assert float(kinds["clock_skew"]["figure"]) == pytest.approx(5, abs=0.1)
    assert kinds["volume_spike"]["severity"] == "error"  # 600 rows against a median of 40


def test_a_missing_column_is_drift_and_not_a_perfect_validation_score(triggered):
    env, _, _ = triggered
    [drift] = [a for a in open_alerts(env) if a["kind"] == "schema_drift"]
    assert drift["subject"] == DRIFTER and "missing: price" in drift["details"]
    with connect(env) as conn:
        row = conn.execute(
            "select files_with_schema_drift, missing_column_names, invalid_rows,"
            " mean_validation_score from marts.miner_performance where miner_hotkey = %s",
            [DRIFTER],
        ).fetchone()
    assert row is not None
    files, missing, invalid, score = row
    assert (files, missing, invalid) == (1, "price", 30)
    assert score is not None and score < 1


def test_copy_group_names_the_copier_and_its_original(triggered, clean_bucket):
    env, subjects, _ = triggered
    honest_b = clean_bucket[1]["miners"][1]["hotkey"]
    copies = {a["subject"]: a for a in open_alerts(env) if a["kind"] == "copy_group"}
    assert subjects["duplicate_flood"] in copies  # the copycat re-uploading B's files
    assert honest_b in copies[subjects["duplicate_flood"]]["details"]  # named as the original
    assert honest_b not in copies


def test_stale_source_fires_when_nothing_was_loaded_for_days(triggered):
    env, _, _ = triggered
    assert "stale_source" not in {a["kind"] for a in open_alerts(env)}
    with connect(env) as conn:
        conn.execute("update raw.source_files set loaded_at = loaded_at - interval '100 hours'")
    try:
        stale = [a for a in open_alerts(env) if a["kind"] == "stale_source"]
        assert [(a["subject"], a["severity"]) for a in stale] == [("raw.source_files", "error")]
        assert float(stale[0]["figure"]) >= 100  # loaded seconds ago, shifted 100 h back
    finally:
        with connect(env) as conn:
            conn.execute("update raw.source_files set loaded_at = loaded_at + interval '100 hours'")


def test_resi_alerts_table_json_and_exit_codes(triggered):
    env, subjects, _ = triggered
    table = resi(env, "alerts")
    assert table.returncode == 0
    assert "open alerts:" in table.stdout and LIAR in table.stdout
    assert resi(env, "alerts", "--fail-on", "error", check=False).returncode == 1
    assert resi(env, "alerts", "--fail-on", "warn", check=False).returncode == 1
    payload = json.loads(resi(env, "alerts", "--json").stdout)
    assert payload["open_alerts"] == len(payload["alerts"]) >= len(subjects)
    assert payload["by_severity"]["error"] >= 1
    assert {"alert_id", "kind", "severity", "subject", "figure", "threshold",
            "first_seen_at", "details"} <= set(payload["alerts"][0])  # fmt: skip


def test_dbt_alert_tests_warn_and_store_failures(triggered):
    env, subjects, work = triggered
    proc = dbt(env, work, "test", "-s", "quality_alerts")
    assert proc.returncode == 0, proc.stdout  # warnings, not errors
    warned = re.search(r"WARN=(\d+)", proc.stdout)
    assert warned and int(warned.group(1)) >= len(subjects)
    with connect(env) as conn:
        row = conn.execute(
            "select count(*) from test_failures.alert_low_agreement_is_quiet where subject = %s",
            [LIAR],
        ).fetchone()
    assert row and row[0] == 1


def test_resi_alerts_says_when_the_marts_are_not_built(scratch_db):
    proc = resi(scratch_db, "alerts", "--fail-on", "error", check=False)
    assert proc.returncode == 2
    assert "resi dbt build" in proc.stderr
