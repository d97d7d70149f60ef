"""Key parsing and source parsing: unit tests, no database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from loader.paths import KeyRejected, not_a_listing_file, parse_key, parse_source


def test_a_well_formed_key_gives_its_claims() -> None:
    claims = parse_key(
        "data/hotkey=5FHneW46/job_id=zillow_zip_77494_sold/data_20250102_030405_120.parquet"
    )
    assert claims.hotkey == "5FHneW46"
    assert claims.job_id == "zillow_zip_77494_sold"
    assert claims.claimed_timestamp == dt.datetime(2025, 1, 2, 3, 4, 5)
    assert claims.claimed_record_count == 120


@pytest.mark.parametrize(
    "hotkey",
    [
        "x'; DROP TABLE raw.source_files; --",
        'quote"and\\backslash',
        "spaces and ünïcödé 🏠",
        "a=b=c",
        "tab\tnewline\n",
    ],
)
def test_hotkeys_are_verbatim(hotkey: str) -> None:
    claims = parse_key(f"data/hotkey={hotkey}/job_id=j/data_20250102_030405_1.parquet")
    assert claims.hotkey == hotkey


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("README.md", "outside the upload layout"),
        ("other/hotkey=a/job_id=b/data_20250102_030405_1.parquet", "outside the upload layout"),
        ("data/hotkey=a/data_20250102_030405_1.parquet", "no job_id= folder"),
        ("data/hotkey=a/job_id=b/c/data_20250102_030405_1.parquet", "folder depth"),
        ("data/hotkey=a/job_id=b/data_20250102_030405_1.csv", "does not end in .parquet"),
        ("data/hotkey=a/job_id=b/data_20250102_030405.parquet", "does not match"),
        ("data/hotkey=a/job_id=b/data_2025012_030405_1.parquet", "does not match"),
        ("data/hotkey=a/job_id=b/data_20250102_030405_-1.parquet", "does not match"),
        ("data/hotkey=a/job_id=b/data_20251332_030405_1.parquet", "impossible date"),
        ("data/hotkey=a/job_id=b/data_20250230_030405_1.parquet", "impossible date"),
        ("data/hotkey=a/job_id=b/data_20250102_250000_1.parquet", "impossible date"),
        ("data/hotkey=/job_id=b/data_20250102_030405_1.parquet", "empty hotkey"),
        ("data/hotkey=a/job_id=/data_20250102_030405_1.parquet", "empty job id"),
        ("data/hotkey=a/job_id=b/", "folder marker"),
        ("data/hotkey=a/job_id=b/data_20250102_030405_99999999999999999999.parquet", "range"),
    ],
)
def test_keys_outside_the_layout_are_rejected_with_a_reason(key: str, reason: str) -> None:
    with pytest.raises(KeyRejected, match=reason):
        parse_key(key)


def test_sources() -> None:
    s3 = parse_source("s3://bucket/some/prefix/")
    assert (s3.kind, s3.bucket, s3.prefix) == ("s3", "bucket", "some/prefix/")
    assert s3.uri == "s3://bucket/some/prefix/"
    key = "some/prefix/data/hotkey=a/job_id=b/x.parquet"
    assert s3.relative(key) == "data/hotkey=a/job_id=b/x.parquet"
    assert s3.object_uri(key) == f"s3://bucket/{key}"
    bare = parse_source("s3://bucket")
    assert (bare.prefix, bare.uri) == ("", "s3://bucket/")
    local = parse_source("/tmp/net/bucket/")
    assert local.kind == "local"
    assert local.uri == "file:///tmp/net/bucket/"
    assert local.object_uri("data/x") == "file:///tmp/net/bucket/data/x"
    with pytest.raises(ValueError, match="no bucket"):
        parse_source("s3://")
    with pytest.raises(ValueError, match="unsupported"):
        parse_source("gs://bucket")


def test_a_rejected_key_keeps_the_hotkey_and_job_its_folders_hold() -> None:
    with pytest.raises(KeyRejected) as caught:
        parse_key("data/hotkey=5HkA/job_id=zillow_zip_1/listing.parquet")
    assert (caught.value.claims.hotkey, caught.value.claims.job_id) == ("5HkA", "zillow_zip_1")
    with pytest.raises(KeyRejected) as caught:
        parse_key("data/hotkey=5HkA/data_20250102_030405_1.parquet")  # no job folder
    assert (caught.value.claims.hotkey, caught.value.claims.job_id) == ("5HkA", None)
    with pytest.raises(KeyRejected) as caught:
        parse_key("README.md")
    assert caught.value.claims is None


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("data/hotkey=a/epoch=3/zipcode=77494/sold.json", "epoch="),
        ("validator_results/run_1/scores.json", "validator output"),
        ("validator_results/run_1/table.parquet", "validator output"),
        ("data/hotkey=a/data/hotkey=a/job_id=b/data_20250102_030405_1.parquet", "doubled"),
        ("data/hotkey=a/job_id=b/meta.json", "JSON"),
        ("data/hotkey=a/job_id=b/", "folder marker"),
    ],
)
def test_objects_that_are_not_listing_files(key: str, reason: str) -> None:
    assert reason in not_a_listing_file(key)


@pytest.mark.parametrize(
    "key",
    [
        "data/hotkey=a/job_id=b/data_20250102_030405_1.parquet",
        "data/hotkey=a/job_id=b/notes.txt",  # a miner's mistake: rejected, not skipped
        "data/hotkey=a/data_20250102_030405_1.parquet",
        "README.md",
    ],
)
def test_listing_files_and_rejects_are_not_skipped(key: str) -> None:
    assert not_a_listing_file(key) is None


def test_a_prefix_inside_the_layout_is_only_a_listing_filter() -> None:
    one_miner = parse_source("s3://bucket/data/hotkey=a/")
    assert (one_miner.prefix, one_miner.root) == ("data/hotkey=a/", "")
    key = "data/hotkey=a/job_id=b/data_20250102_030405_1.parquet"
    assert one_miner.relative(key) == key
    mirrored = parse_source("s3://bucket/mirror/2025/data/hotkey=a")
    assert mirrored.root == "mirror/2025/"
    assert mirrored.relative(f"mirror/2025/{key}") == key
    folder = parse_source("/tmp/net/bucket/data/hotkey=a")
    assert folder.listing_root == Path("/tmp/net/bucket")
    assert folder.uri == "file:///tmp/net/bucket/data/hotkey=a/"
    assert folder.object_uri(key) == f"file:///tmp/net/bucket/{key}"
