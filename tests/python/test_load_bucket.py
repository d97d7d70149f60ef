"""The network's real bucket, on moto's S3 server: objects that are not listing files are
recorded as skipped (not rejects, not read again, not in the marts), and the options that
narrow a run (--hotkey, a prefix inside the layout, --since/--until, --dry-run) or change
how it reaches S3 (--profile, --no-sign-request)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import time
from pathlib import Path

import pytest
from helpers import dbt_paths, resi

from resi import cli
from resi.database import connection as database


def load(source: str, *options: str, capsys) -> tuple[int, dict]:
    """Run `resi load SOURCE --json` in-process; (exit status, the JSON it printed)."""
    args = cli.build_parser().parse_args(["load", source, "--json", *options])
    status = args.func(args)
    out = capsys.readouterr().out.strip().splitlines()
    return status, json.loads(out[-1]) if out else {}


def query(sql: str, params=()) -> list[tuple]:
    with database.connect() as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture
def bucket(s3_bucket, miner_files):
    """(client, name, put): put(key, rows=N | data=bytes) writes one object."""
    client, name = s3_bucket
    frame, _ = miner_files

    def put(key: str, rows: int | None = None, data: bytes = b"") -> None:
        if rows is not None:
            buffer = io.BytesIO()
            frame(rows, seed=rows).to_parquet(buffer, index=False)
            data = buffer.getvalue()
        client.put_object(Bucket=name, Key=key, Body=data)

    return client, name, put


NOT_LISTINGS = {
    "data/hotkey=5HkA/epoch=17/zipcode=77494/listings.json": "hotkey=/epoch=/zipcode=",
    "validator_results/2025-06-01/scores.json": "validator output",
    "data/hotkey=5HkA/data/hotkey=5HkA/job_id=j/data_20250102_030405_2.parquet": "doubled",
    "data/hotkey=5HkA/job_id=j/": "folder marker",
    "data/hotkey=5HkB/notes.json": "JSON object",
}


def test_objects_that_are_not_listing_files_are_skipped_not_rejected(
    scratch_db, s3_endpoint, bucket, miner_files, capsys, tmp_path: Path
) -> None:
    client, name, put = bucket
    _, key = miner_files
    put(key("5HkA", count=3), rows=3)
    for not_listing in NOT_LISTINGS:
        put(not_listing, data=b'{"zpid": 1}')
    bad_name = "data/hotkey=5HkZ/job_id=zillow_zip_9/listing.parquet"
    put(bad_name, rows=2)
    source = f"s3://{name}"
    status, summary = load(source, "--endpoint-url", s3_endpoint, capsys=capsys)
    assert status == 0
    assert (summary["files_loaded"], summary["files_rejected"], summary["objects_skipped"]) == (
        1, 1, len(NOT_LISTINGS))  # fmt: skip
    recorded = dict(
        query(
            "select key, (status, reject_reason) from raw.source_files where key <> %s",
            [key("5HkA", count=3)],
        )  # fmt: skip
    )
    for not_listing, reason in NOT_LISTINGS.items():
        status_, why = recorded[not_listing]
        assert status_ == "skipped" and reason in why, (not_listing, why)
    # a bad file name keeps the miner and job its folders name, so the reject is charged
    assert query("select status, hotkey, job_id from raw.source_files where key = %s",
                 [bad_name]) == [("rejected", "5HkZ", "zillow_zip_9")]  # fmt: skip
    runs = query("select objects_skipped, files_rejected from raw.load_runs")
    assert runs == [(len(NOT_LISTINGS), 1)]

    # not examined again: the next run records nothing new
    status, again = load(source, "--endpoint-url", s3_endpoint, capsys=capsys)
    assert (again["objects_skipped"], again["files_rejected"], again["files_skipped"]) == (
        0, 0, len(NOT_LISTINGS) + 2)  # fmt: skip
    assert query("select count(*) from raw.source_files") == [(len(NOT_LISTINGS) + 2,)]

    # no alert noise: the layers above see miner files only (loaded or rejected)
    paths = dbt_paths(tmp_path)
    resi(scratch_db, "dbt", "run", "--quiet", "-s", "stg_raw__source_files", *paths)
    resi(scratch_db, "dbt", "test", "--quiet", "-s", "source:raw.source_files", *paths)
    staged = query("select file_status, count(*) from staging.stg_raw__source_files"
                   " group by 1 order by 1")  # fmt: skip
    assert staged == [("loaded", 1), ("rejected", 1)]
    summary_out = resi(scratch_db, "summary").stdout
    assert re.search(rf"^not listing files +{len(NOT_LISTINGS)} +skipped", summary_out, re.M)


def test_hotkey_option_and_a_prefix_inside_the_layout_load_one_miner(
    scratch_db, s3_endpoint, bucket, miner_files, capsys
) -> None:
    client, name, put = bucket
    _, key = miner_files
    for hotkey in ("5HkA", "5HkB", "5HkC"):
        put(key(hotkey, count=2), rows=2)
    status, summary = load(f"s3://{name}", "--endpoint-url", s3_endpoint,
                           "--hotkey", "5HkA", "--hotkey", "5HkC", capsys=capsys)  # fmt: skip
    assert (status, summary["files_loaded"], summary["objects_seen"]) == (0, 2, 2)
    assert query("select hotkey from raw.source_files order by 1") == [("5HkA",), ("5HkC",)]
    # a prefix inside the layout only filters the listing: the key is parsed from the top
    status, summary = load(f"s3://{name}/data/hotkey=5HkB/", "--endpoint-url", s3_endpoint,
                           capsys=capsys)  # fmt: skip
    assert (status, summary["files_loaded"], summary["files_rejected"]) == (0, 1, 0)
    assert query("select key, hotkey, job_id from raw.source_files where hotkey = '5HkB'") == [
        (key("5HkB", count=2), "5HkB", "zillow_zip_77494")
    ]
    # a hotkey outside the prefix: nothing listed
    status, summary = load(f"s3://{name}/data/hotkey=5HkB/", "--endpoint-url", s3_endpoint,
                           "--hotkey", "5HkA", capsys=capsys)  # fmt: skip
    assert summary["objects_seen"] == 0


def test_since_until_by_upload_time_and_dry_run(
    scratch_db, s3_endpoint, bucket, miner_files, capsys
) -> None:
    client, name, put = bucket
    _, key = miner_files
    put(key("5HkA", count=2), rows=2)
    time.sleep(1.5)
    middle = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=0)
    time.sleep(1.5)
    put(key("5HkB", count=3), rows=3)
    put("validator_results/x.json", data=b"{}")
    late = client.head_object(Bucket=name, Key=key("5HkB", count=3))
    source, endpoint = f"s3://{name}", ("--endpoint-url", s3_endpoint)

    # --dry-run: what would load and its bytes; nothing recorded
    status, plan = load(source, *endpoint, "--dry-run", capsys=capsys)
    assert (status, plan["files_to_load"], plan["not_listing_files"]) == (0, 2, 1)
    sizes = [client.head_object(Bucket=name, Key=k)["ContentLength"]
             for k in (key("5HkA", count=2), key("5HkB", count=3))]  # fmt: skip
    assert plan["bytes_to_load"] == sum(sizes)
    assert query("select count(*) from raw.source_files") == [(0,)]
    args = cli.build_parser().parse_args(["load", source, *endpoint, "--dry-run"])
    assert args.func(args) == 0
    said = capsys.readouterr().out
    assert f"would load 2 files, {sum(sizes):,} bytes" in said

    status, summary = load(source, *endpoint, "--since", middle.isoformat(), capsys=capsys)
    assert (summary["files_loaded"], summary["objects_skipped"]) == (1, 1)
    assert query("select hotkey from raw.source_files where status = 'loaded'") == [("5HkB",)]
    status, summary = load(source, *endpoint, "--until", middle.isoformat(), capsys=capsys)
    assert summary["files_loaded"] == 1
    assert late["LastModified"] >= middle
    assert load(source, *endpoint, "--since", "yesterday", capsys=capsys)[0] == 2


def _no_ambient_credentials(monkeypatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                 "AWS_PROFILE", "AWS_ENDPOINT_URL"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask 169.254.169.254
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))


def test_profile_and_no_sign_request(
    scratch_db, s3_endpoint, bucket, miner_files, capsys, monkeypatch, tmp_path: Path
) -> None:
    client, name, put = bucket
    _, key = miner_files
    put(key("5HkA", count=2), rows=2)
    client.put_object_acl(Bucket=name, Key=key("5HkA", count=2), ACL="public-read")
    source = f"s3://{name}"
    _no_ambient_credentials(monkeypatch, tmp_path)

    # no credentials anywhere: one clear line, exit 2
    args = cli.build_parser().parse_args(["load", source, "--endpoint-url", s3_endpoint])
    assert args.func(args) == 2
    assert "--no-sign-request" in capsys.readouterr().err
    # anonymous requests read the (public) bucket
    status, summary = load(source, "--endpoint-url", s3_endpoint, "--no-sign-request",
                           capsys=capsys)  # fmt: skip
    assert (status, summary["files_loaded"]) == (0, 1)

    # a named profile: its credentials and its endpoint (no --endpoint-url given)
    put(key("5HkB", count=3), rows=3)
    config = tmp_path / "config"
    config.write_text(
        f"[profile resi-test]\nregion = us-east-1\nendpoint_url = {s3_endpoint}\n"
        "aws_access_key_id = testing\naws_secret_access_key = testing\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    status, summary = load(source, "--profile", "resi-test", capsys=capsys)
    assert (status, summary["files_loaded"]) == (0, 1)
    args = cli.build_parser().parse_args(["load", source, "--profile", "nobody"])
    assert args.func(args) == 2
    assert "nobody" in capsys.readouterr().err


def test_a_folder_inside_the_layout_loads_one_miner(
    scratch_db, tmp_path: Path, miner_files, capsys
) -> None:
    frame, key = miner_files
    for hotkey in ("5HkA", "5HkB"):
        path = tmp_path / key(hotkey, count=2)
        path.parent.mkdir(parents=True)
        frame(2).to_parquet(path, index=False)
    status, summary = load(str(tmp_path / "data" / "hotkey=5HkB"), capsys=capsys)
    assert (status, summary["files_loaded"], summary["files_rejected"]) == (0, 1, 0)
    assert query("select key, hotkey from raw.source_files") == [(key("5HkB", count=2), "5HkB")]
    # the whole folder afterwards: the miner already loaded is not loaded again
    status, summary = load(str(tmp_path), capsys=capsys)
    assert (summary["files_loaded"], summary["files_skipped"]) == (1, 1)
