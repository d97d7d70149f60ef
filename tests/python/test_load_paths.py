"""Key parsing and source parsing: unit tests, no database."""

from __future__ import annotations

import datetime as dt

import pytest

from loader.paths import KeyRejected, parse_key, parse_source


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
