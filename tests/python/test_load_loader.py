"""`resi load` against real PostgreSQL (scratch_db) and a real S3 endpoint (moto):
rejects, hostile keys, exactly-once, new versions, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from resi import PROJECT_ROOT, cli
from resi.database import connection as database

BAD_DATA = PROJECT_ROOT.parent / "shared" / "corpus" / "parquet-testing-bad_data"
INJECTION = "x'; DROP TABLE raw.source_files; --"


def load(source: str, *options: str, capsys=None) -> tuple[int, dict]:
    """Run `resi load SOURCE --json` in-process; (exit status, JSON summary)."""
    args = cli.build_parser().parse_args(["load", source, "--json", *options])
    status = args.func(args)
    summary = {}
    if capsys is not None:
        out = capsys.readouterr().out.strip().splitlines()
        summary = json.loads(out[-1]) if out else {}
    return status, summary


def query(sql: str, params=()) -> list[tuple]:
    with database.connect() as conn:
        return conn.execute(sql, params).fetchall()


def files() -> dict[str, tuple]:
    """key -> (status, reject_reason, row_count, rows actually in raw.listing_rows)"""
    rows = query(
        """
        select f.key, f.status, f.reject_reason, f.row_count,
               (select count(*) from raw.listing_rows r where r.file_id = f.file_id)
        from raw.source_files f
        """
    )
    return {key: tuple(rest) for key, *rest in rows}


def write(root: Path, relative: str, data: bytes | None = None, frame=None) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if frame is not None:
        frame.to_parquet(path, index=False)
    else:
        path.write_bytes(data or b"")
    return path


def test_local_folder_loads_and_records_every_reject(
    scratch_db: dict, tmp_path: Path, miner_files, capsys
) -> None:
    frame, key = miner_files
    good = frame(50)
    write(tmp_path, key("5HkA", count=50), frame=good)
    # a claimed count that disagrees with the file: loaded, both counts kept
    write(tmp_path, key("5HkB", count=999), frame=frame(3))
    # extra and missing columns: loaded, the schema kept
    odd = frame(4).drop(columns=["city", "state"]).assign(sqft_lot=[1.5, None, 3.0, 4.0])
    write(tmp_path, key("5HkC", count=4), frame=odd)
    # the injection hotkey is just text
    write(tmp_path, key(INJECTION, count=5), frame=frame(5))
    good_bytes = (tmp_path / key("5HkA", count=50)).read_bytes()
    bad = {
        key("empty", count=0): b"",
        key("text", count=1): b"uri,price\nhttps://x,1\n",
        key("truncated", count=50): good_bytes[: len(good_bytes) // 2],
        key("footer", count=50): good_bytes[:-40] + b"\xff" * 32 + good_bytes[-8:],
        key("short", count=1): b"PAR1PAR1",
    }
    for relative, data in bad.items():
        write(tmp_path, relative, data)
    bad_keys = {
        "notes.txt": b"hello",
        "data/hotkey=a/data_20250102_030405_1.parquet": good_bytes,
        "data/hotkey=a/job_id=b/data_20251340_030405_1.parquet": good_bytes,
        "data/hotkey=a/job_id=b/listing.parquet": good_bytes,
    }
    for relative, data in bad_keys.items():
        write(tmp_path, relative, data)

    status, summary = load(str(tmp_path), capsys=capsys)
    assert status == 0
    assert summary["files_loaded"] == 4
    assert summary["files_rejected"] == len(bad) + len(bad_keys)
    assert summary["rows_loaded"] == 50 + 3 + 4 + 5
    got = files()
    assert got[key("5HkA", count=50)] == ("loaded", None, 50, 50)
    assert got[key("5HkB", count=999)] == ("loaded", None, 3, 3)
    assert got[key("5HkC", count=4)] == ("loaded", None, 4, 4)
    assert got[key(INJECTION, count=5)] == ("loaded", None, 5, 5)
    for relative in [*bad, *bad_keys]:
        state, reason, row_count, in_raw = got[relative]
        assert state == "rejected", relative
        assert reason and len(reason) > 10, relative
        assert (row_count, in_raw) == (None, 0), relative
    assert "empty object" in got[key("empty", count=0)][1]
    assert "not a Parquet file" in got[key("text", count=1)][1]
    assert "truncated" in got[key("truncated", count=50)][1]
    assert "footer" in got[key("footer", count=50)][1]
    assert "impossible date" in got["data/hotkey=a/job_id=b/data_20251340_030405_1.parquet"][1]

    (hotkey, claimed, actual, size, sha, last_modified, etag) = query(
        """select hotkey, claimed_record_count, row_count, size_bytes, content_sha256,
                  last_modified, etag from raw.source_files where key = %s""",
        [key(INJECTION, count=5)],
    )[0]
    assert hotkey == INJECTION
    path = tmp_path / key(INJECTION, count=5)
    assert (claimed, actual, size) == (5, 5, path.stat().st_size)
    import hashlib

    assert sha == hashlib.sha256(path.read_bytes()).hexdigest()
    assert abs(last_modified.timestamp() - path.stat().st_mtime) < 1e-3
    assert etag == f"{path.stat().st_size:x}-{path.stat().st_mtime_ns:x}"
    extras, city = query(
        "select r.extra_columns, r.city from raw.listing_rows r join raw.source_files f "
        "using (file_id) where f.key = %s and r.row_index = 1",
        [key("5HkC", count=4)],
    )[0]
    assert (extras, city) == ({"sqft_lot": None}, None)
    schema = query(
        "select arrow_schema from raw.source_files where key = %s", [key("5HkC", count=4)]
    )[0][0]
    assert [f["name"] for f in schema["fields"]][-1] == "sqft_lot"
    assert "pandas" in schema
    run = query("select status, objects_seen, files_loaded, files_rejected from raw.load_runs")
    assert run == [("succeeded", 4 + len(bad) + len(bad_keys), 4, len(bad) + len(bad_keys))]

    # a second run over the same source loads nothing and says so
    status, again = load(str(tmp_path), capsys=capsys)
    assert status == 0
    assert (again["files_loaded"], again["files_rejected"], again["files_skipped"]) == (
        0,
        0,
        summary["objects_seen"],
    )
    assert len(files()) == summary["objects_seen"]
    # --strict: rejects make the run an error, and it says how many (earlier runs' too)
    rejected = len(bad) + len(bad_keys)
    (tmp_path / "more.bin").write_bytes(b"x")
    args = cli.build_parser().parse_args(["load", str(tmp_path), "--strict"])
    assert args.func(args) == 1
    captured = capsys.readouterr()
    assert "1 rejected" in captured.out
    assert f"--strict: {rejected + 1} files rejected ({rejected} recorded by earlier runs)" in (
        captured.err
    )
    # a re-run with nothing new still fails under --strict, and says why
    assert args.func(args) == 1
    captured = capsys.readouterr()
    assert "0 rejected" in captured.out
    assert f"--strict: {rejected + 1} files rejected ({rejected + 1} recorded by earlier" in (
        captured.err
    )


def test_every_file_of_the_bad_data_corpus_is_loaded_whole_or_rejected(
    scratch_db: dict, tmp_path: Path, miner_files, capsys
) -> None:
    if not BAD_DATA.is_dir():
        pytest.skip(f"{BAD_DATA} is absent")
    _, key = miner_files
    corpus = sorted(p for p in BAD_DATA.iterdir() if p.is_file())
    assert corpus
    keys = {}
    for i, path in enumerate(corpus):
        relative = key(f"bad{i}", job_id=path.name, count=1)
        shutil.copyfile(path, tmp_path / write(tmp_path, relative, b""))
        keys[relative] = path.name
    status, summary = load(str(tmp_path), capsys=capsys)
    assert status == 0
    got = files()
    assert set(got) == set(keys)
    for relative, name in keys.items():
        state, reason, row_count, in_raw = got[relative]
        if state == "loaded":
            assert reason is None
            assert row_count == in_raw, name
        else:
            assert state == "rejected" and reason, name
            assert in_raw == 0, name
    assert summary["files_loaded"] + summary["files_rejected"] == len(keys)
    assert summary["files_rejected"] >= 7


def test_a_value_postgres_cannot_hold_rejects_only_that_file(
    scratch_db: dict, tmp_path: Path, miner_files, capsys
) -> None:
    frame, key = miner_files
    nul = frame(3)
    nul.loc[1, "address"] = "a\x00b"
    write(tmp_path, key("nul", count=3), frame=nul)
    write(tmp_path, key("fine", count=3), frame=frame(3))
    status, summary = load(str(tmp_path), capsys=capsys)
    assert status == 0
    got = files()
    assert got[key("fine", count=3)] == ("loaded", None, 3, 3)
    state, reason, _, in_raw = got[key("nul", count=3)]
    assert (state, in_raw) == ("rejected", 0)
    assert "PostgreSQL refused" in reason


def test_s3_source_new_etag_and_injection(
    scratch_db: dict, s3_endpoint: str, s3_bucket, miner_files, capsys, tmp_path: Path
) -> None:
    client, bucket = s3_bucket
    frame, key = miner_files
    prefix = "net"

    def put(relative: str, df=None, data: bytes | None = None) -> str:
        if df is not None:
            path = tmp_path / "upload.parquet"
            df.to_parquet(path, index=False)
            data = path.read_bytes()
        return client.put_object(Bucket=bucket, Key=f"{prefix}/{relative}", Body=data)["ETag"]

    put(key("5HkA", count=10), frame(10, seed=1))
    put(key(INJECTION, count=2), frame(2, seed=2))
    put("data/hotkey=a/job_id=b/data_2025_1.parquet", data=b"PAR1")
    put(key("empty", count=0), data=b"")
    client.put_object(Bucket=bucket, Key="outside/prefix.parquet", Body=b"ignored")
    source = f"s3://{bucket}/{prefix}"
    status, summary = load(source, "--endpoint-url", s3_endpoint, capsys=capsys)
    assert status == 0
    assert (summary["files_loaded"], summary["files_rejected"]) == (2, 2)
    rows = query(
        "select source_uri, bucket, key, etag, hotkey, row_count, last_modified "
        "from raw.source_files where status = 'loaded' order by key"
    )
    uri, got_bucket, got_key, etag, hotkey, row_count, modified = rows[0]
    assert got_key == f"{prefix}/{key('5HkA', count=10)}"
    assert uri == f"s3://{bucket}/{got_key}"
    assert got_bucket == bucket and row_count == 10 and modified.tzinfo is not None
    head = client.head_object(Bucket=bucket, Key=got_key)
    assert etag == head["ETag"].strip('"')
    assert rows[1][4] == INJECTION
    assert query("select count(*) from raw.source_files")[0][0] == 4

    # the same key rewritten with new content: a second version beside the first
    put(key("5HkA", count=10), frame(7, seed=3))
    status, summary = load(source, "--endpoint-url", s3_endpoint, capsys=capsys)
    assert status == 0
    assert (summary["files_loaded"], summary["files_skipped"]) == (1, 3)
    versions = query(
        "select row_count, (select count(*) from raw.listing_rows r where r.file_id = f.file_id)"
        " from raw.source_files f where key = %s order by file_id",
        [f"{prefix}/{key('5HkA', count=10)}"],
    )
    assert versions == [(10, 10), (7, 7)]

    # nothing new: nothing loaded
    status, summary = load(source, "--endpoint-url", s3_endpoint, capsys=capsys)
    assert (status, summary["files_loaded"], summary["files_skipped"]) == (0, 0, 4)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _resi_load(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "resi.cli", "load", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_unreachable_database_bucket_or_folder_exit_nonzero_with_one_line(
    scratch_db: dict, s3_endpoint: str, tmp_path: Path
) -> None:
    done = _resi_load(
        str(tmp_path),
        env={"PGHOST": "127.0.0.1", "PGPORT": str(_closed_port()), "RESI_CONNECT_ATTEMPTS": "2"},
    )
    assert done.returncode == 2
    assert "cannot reach the database after 2 attempts" in done.stderr
    assert "Traceback" not in done.stderr

    done = _resi_load("s3://no-such-bucket-here", "--endpoint-url", s3_endpoint)
    assert done.returncode == 2
    assert "bucket 'no-such-bucket-here' does not exist" in done.stderr
    assert "Traceback" not in done.stderr

    dead = f"http://127.0.0.1:{_closed_port()}"
    done = _resi_load("s3://bucket", "--endpoint-url", dead, env={"AWS_MAX_ATTEMPTS": "2"})
    assert done.returncode == 2
    assert "cannot reach the S3 endpoint" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1

    done = _resi_load(str(tmp_path / "missing"))
    assert done.returncode == 2
    assert "does not exist" in done.stderr
    runs = query("select status from raw.load_runs order by load_run_id")
    assert all(status == "failed" for (status,) in runs)
