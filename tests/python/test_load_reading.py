"""The documented text form of every Arrow type, and a round trip through raw."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loader.reading import to_text
from loader.schema import LISTING_COLUMNS
from resi import cli
from resi.database import connection as database


def raw_rows(conn, key: str) -> list[dict]:
    """The raw.listing_rows of the file recorded under `key`, as dicts, in file order."""
    cur = conn.execute(
        "select r.* from raw.listing_rows r join raw.source_files f using (file_id) "
        "where f.key = %s order by row_index",
        [key],
    )
    names = [d.name for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def texts(values, type_=None) -> list:
    return to_text(pa.array(values, type_)).to_pylist()


def test_integers_are_decimal() -> None:
    assert texts([0, -42, None, 2**63 - 1], pa.int64()) == ["0", "-42", None, str(2**63 - 1)]
    assert texts([2**64 - 1], pa.uint64()) == ["18446744073709551615"]
    assert texts([-128, 127], pa.int8()) == ["-128", "127"]


def test_floats_are_shortest_round_trip() -> None:
    values = [0.1, 20077123.0, 1.5e16, 1e-7, -0.0, 2.5e-5, 29.11745275399331, None]
    assert texts(values, pa.float64()) == [
        "0.1",
        "20077123",
        "1.5e+16",
        "1e-7",
        "-0",
        "0.000025",
        "29.11745275399331",
        None,
    ]
    assert texts([0.1, 3.4e38], pa.float32()) == ["0.1", "3.4e+38"]
    assert texts([float("nan"), float("inf"), -float("inf"), 1.0], pa.float64()) == [
        "NaN",
        "Infinity",
        "-Infinity",
        "1",
    ]


def test_float_text_reads_back_bit_for_bit() -> None:
    rng = np.random.default_rng(7)
    bits = rng.integers(0, 2**63, 20000, dtype=np.int64) * rng.choice([1, -1], 20000)
    values = bits.view(np.float64)
    values = values[np.isfinite(values)]
    out = texts(values, pa.float64())
    for value, text in zip(values.tolist(), out, strict=True):
        assert struct.pack("<d", float(text)) == struct.pack("<d", value), text
    singles = rng.standard_normal(5000).astype(np.float32) * 1e5
    for value, text in zip(singles, texts(singles, pa.float32()), strict=True):
        assert np.float32(text) == value


def test_booleans_strings_binary_decimal() -> None:
    assert texts([True, False, None]) == ["true", "false", None]
    assert texts(["", None, 'a"b,c\n\\.', "ünï 🏠"]) == ["", None, 'a"b,c\n\\.', "ünï 🏠"]
    assert texts(["x", None], pa.large_string()) == ["x", None]
    assert texts([b"\x00\xff", None], pa.binary()) == ["\\x00ff", None]
    assert texts([decimal.Decimal("1.20"), None], pa.decimal128(5, 2)) == ["1.20", None]


def test_dates_and_times() -> None:
    assert texts([dt.date(2025, 1, 2), None]) == ["2025-01-02", None]
    assert texts([dt.time(3, 4, 5, 6)], pa.time64("us")) == ["03:04:05.000006"]
    assert texts([dt.timedelta(seconds=90)], pa.duration("s")) == ["90"]


def test_timestamps_are_iso_8601_with_the_units_precision() -> None:
    moment = dt.datetime(2025, 1, 2, 3, 4, 5, 123456)
    assert texts([moment], pa.timestamp("s")) == ["2025-01-02T03:04:05"]
    assert texts([moment], pa.timestamp("ms")) == ["2025-01-02T03:04:05.123"]
    assert texts([moment, None], pa.timestamp("us")) == ["2025-01-02T03:04:05.123456", None]
    ns = pa.array([1735787045123456789], pa.timestamp("ns"))
    assert to_text(ns).to_pylist() == ["2025-01-02T03:04:05.123456789"]
    zoned = pa.array([1735787045123456789], pa.timestamp("ns", "America/New_York"))
    assert to_text(zoned).to_pylist() == ["2025-01-02T03:04:05.123456789+00:00"]
    utc = pa.array([moment.replace(microsecond=0)], pa.timestamp("us", "UTC"))
    assert to_text(utc).to_pylist() == ["2025-01-02T03:04:05.000000+00:00"]


def test_null_dictionary_and_nested_types() -> None:
    assert to_text(pa.nulls(3)).to_pylist() == [None, None, None]
    assert to_text(pa.array(["a", "b", None, "a"]).dictionary_encode()).to_pylist() == [
        "a",
        "b",
        None,
        "a",
    ]
    nested = pa.array([[1, 2], None, []], pa.list_(pa.int64()))
    assert to_text(nested).to_pylist() == ["[1, 2]", None, "[]"]
    struct_ = pa.array([{"a": 1.5, "b": "x"}, {"a": float("nan"), "b": None}])
    assert [json.loads(v) for v in to_text(struct_).to_pylist()] == [
        {"a": 1.5, "b": "x"},
        {"a": "NaN", "b": None},
    ]


# --- round trip through raw ------------------------------------------------------------


def _run_load(folder: Path) -> None:
    args = cli.build_parser().parse_args(["load", str(folder)])
    assert args.func(args) == 0


def _typed_table() -> pa.Table:
    """Every listing column in a different Arrow type, plus extra columns."""
    n = 6
    return pa.table(
        {
            "uri": pa.array(["u0", "", None, 'q"uote', "new\nline,comma", "\\."]),
            "datetime": pa.array(
                [1735787045123456789 + i for i in range(n - 1)] + [None], pa.timestamp("ns")
            ),
            "label": pa.array(["zip:77494"] * n).dictionary_encode(),
            "zpid": pa.array([10, -1, None, 2**63 - 1, 0, 7], pa.int64()),
            "price": pa.array([20077123.0, 0.1, None, float("nan"), float("inf"), -0.0]),
            "address": pa.array(["123 Oak St, Katy, TX 77494", "ünï 🏠", None, "", " ", "\t"]),
            "bedrooms": pa.array([1.5, 2.0, None, 3.25, 0.0, 1e-7], pa.float32()),
            "bathrooms": pa.array([True, False, None, True, False, True]),
            "living_area": pa.array([1, 2, None, 4, 5, 6], pa.uint16()),
            "home_type": pa.nulls(n),
            # home_status missing: NULL in raw
            "days_on_zillow": pa.array([decimal.Decimal("1.20")] * n, pa.decimal128(5, 2)),
            "url": pa.array(["x"] * n, pa.large_string()),
            "zip_code": pa.array([8701, 77494, None, 0, 1, 2], pa.int32()),
            "city": pa.array([dt.date(2025, 1, 2)] * n),
            "state": pa.array(
                [dt.datetime(2025, 1, 2, 3, 4, 5, 678000)] * n, pa.timestamp("ms", "Asia/Tokyo")
            ),
            "latitude": pa.array([29.11745275399331] * n),
            "longitude": pa.array([[1, 2], None, [], [3], [4], [5]], pa.list_(pa.int64())),
            "extra_a": pa.array(["e", None, "", "x", "y", "z"]),
            "Price": pa.array([1, 2, 3, 4, 5, None]),
        }
    )


EXPECTED = {
    "uri": ["u0", "", None, 'q"uote', "new\nline,comma", "\\."],
    "datetime": [
        "2025-01-02T03:04:05.123456789",
        "2025-01-02T03:04:05.123456790",
        "2025-01-02T03:04:05.123456791",
        "2025-01-02T03:04:05.123456792",
        "2025-01-02T03:04:05.123456793",
        None,
    ],
    "label": ["zip:77494"] * 6,
    "zpid": ["10", "-1", None, str(2**63 - 1), "0", "7"],
    "price": ["20077123", "0.1", None, "NaN", "Infinity", "-0"],
    "address": ["123 Oak St, Katy, TX 77494", "ünï 🏠", None, "", " ", "\t"],
    "bedrooms": ["1.5", "2", None, "3.25", "0", "1e-7"],
    "bathrooms": ["true", "false", None, "true", "false", "true"],
    "living_area": ["1", "2", None, "4", "5", "6"],
    "home_type": [None] * 6,
    "home_status": [None] * 6,
    "days_on_zillow": ["1.20"] * 6,
    "url": ["x"] * 6,
    "zip_code": ["8701", "77494", None, "0", "1", "2"],
    "city": ["2025-01-02"] * 6,
    "state": ["2025-01-02T03:04:05.678+00:00"] * 6,  # naive input = UTC
    "latitude": ["29.11745275399331"] * 6,
    "longitude": ["[1, 2]", None, "[]", "[3]", "[4]", "[5]"],
}


def test_round_trip_of_every_arrow_type(scratch_db: dict, tmp_path: Path, miner_files) -> None:
    _, key = miner_files
    path = tmp_path / key(count=6)
    path.parent.mkdir(parents=True)
    table = _typed_table()
    pq.write_table(table, path)
    _run_load(tmp_path)
    with database.connect() as conn:
        names = ", ".join(f'"{c}"' for c in LISTING_COLUMNS)
        rows = conn.execute(
            f"select row_index, {names}, extra_columns from raw.listing_rows order by row_index"
        ).fetchall()
        schema_json, status = conn.execute(
            "select arrow_schema, status from raw.source_files"
        ).fetchone()
    assert status == "loaded"
    assert [r[0] for r in rows] == list(range(6))
    for c, name in enumerate(LISTING_COLUMNS, start=1):
        assert [r[c] for r in rows] == EXPECTED[name], name
    assert [r[-1] for r in rows] == [
        {"extra_a": "e", "Price": "1"},
        {"extra_a": None, "Price": "2"},
        {"extra_a": "", "Price": "3"},
        {"extra_a": "x", "Price": "4"},
        {"extra_a": "y", "Price": "5"},
        {"extra_a": "z", "Price": None},
    ]
    fields = {f["name"]: f for f in schema_json["fields"]}
    assert fields["state"]["type"] == "timestamp[ms, tz=Asia/Tokyo]"
    assert fields["home_type"]["type"] == "null"
    assert "home_status" not in fields
    assert len(fields) == len(table.schema)


def test_round_trip_of_a_miner_network(scratch_db: dict, tmp_path: Path, miner_files) -> None:
    """Every value of miner-style pandas files (the way miners write them) is in raw as
    its documented text; compared value by value, parsed back with Python."""
    frame, key = miner_files
    written = {}
    for i, (hotkey, rows) in enumerate([("5HkA", 300), ("5HkB", 1), ("5HkC", 2000)]):
        df = frame(rows, seed=i)
        if i == 1:
            df["zpid"] = df["zpid"].astype("int64")
            df["price"] = None
            df["datetime"] = df["datetime"].dt.tz_localize("America/Chicago")
        relative = key(hotkey=hotkey, count=rows)
        (tmp_path / relative).parent.mkdir(parents=True)
        df.to_parquet(tmp_path / relative, index=False)
        written[relative] = df
    _run_load(tmp_path)
    with database.connect() as conn:
        for relative, df in written.items():
            got = raw_rows(conn, relative)
            assert len(got) == len(df)
            for index, (_, expected) in enumerate(df.iterrows()):
                row = got[index]
                assert row["row_index"] == index
                for column in LISTING_COLUMNS:
                    _assert_same(expected[column], row[column], column)


def _assert_same(value, text, column) -> None:
    if (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and math.isnan(value))
    ):
        assert text is None, column
    elif isinstance(value, pd.Timestamp):
        parsed = pd.Timestamp(text)
        assert parsed == value, column
        assert (parsed.tzinfo is None) == (value.tzinfo is None), column
    elif isinstance(value, float):
        assert float(text) == value, column
    elif isinstance(value, (int, np.integer)):
        assert text == str(int(value)), column
    else:
        assert text == value, column


def test_empty_string_and_null_stay_distinct_through_copy(
    scratch_db: dict, tmp_path: Path, miner_files
) -> None:
    frame, key = miner_files
    df = frame(4)
    df["city"] = ["", None, '""', "NULL"]
    df["state"] = ["\\N", "", None, ","]
    path = tmp_path / key(count=4)
    path.parent.mkdir(parents=True)
    df.to_parquet(path, index=False)
    _run_load(tmp_path)
    with database.connect() as conn:
        rows = conn.execute(
            "select city, state from raw.listing_rows order by row_index"
        ).fetchall()
    assert rows == [("", "\\N"), (None, ""), ('""', None), ("NULL", ",")]


@pytest.mark.parametrize("batch_rows", [1, 7])
def test_row_index_is_the_position_in_the_file_across_batches(
    scratch_db: dict, tmp_path: Path, miner_files, monkeypatch, batch_rows: int
) -> None:
    from loader import reading

    monkeypatch.setattr(reading, "BATCH_ROWS", batch_rows)
    monkeypatch.setattr(reading.iter_text_batches, "__defaults__", (batch_rows,))
    frame, key = miner_files
    df = frame(23)
    path = tmp_path / key(count=23)
    path.parent.mkdir(parents=True)
    df.to_parquet(path, index=False, row_group_size=5)
    _run_load(tmp_path)
    with database.connect() as conn:
        got = conn.execute("select row_index, address from raw.listing_rows order by 1").fetchall()
    assert got == [(i, a) for i, a in enumerate(df["address"])]


def test_simulated_network_with_bad_objects_round_trips(scratch_db: dict, tmp_path: Path) -> None:
    """The simulator's `--bad` network: every good row in raw exactly as written (each
    value read back independently with pandas), every bad object rejected with a reason."""
    from resi.simulation import writer

    writer.write_network(tmp_path, seed=5, listings=150, miners=5, bad=True)
    truth = json.loads((tmp_path / "truth" / "miners.json").read_text())
    bucket = tmp_path / "bucket"
    _run_load(bucket)
    with database.connect() as conn:
        recorded = {
            key: (status, reason, row_count)
            for key, status, reason, row_count in conn.execute(
                "select key, status, reject_reason, row_count from raw.source_files"
            ).fetchall()
        }
        expected_status = {b["key"]: b["expected_status"] for b in truth["bad_objects"]}
        all_keys = {p.relative_to(bucket).as_posix() for p in bucket.rglob("*") if p.is_file()}
        assert set(recorded) == all_keys
        for key, (status, reason, row_count) in recorded.items():
            assert status == expected_status.get(key, "loaded"), (key, reason)
            if status == "rejected":
                assert reason, key
                continue
            df = pd.read_parquet(bucket / key)
            assert row_count == len(df), key
            got = raw_rows(conn, key)
            assert [row["row_index"] for row in got] == list(range(len(df))), key
            for (_, expected), row in zip(df.iterrows(), got, strict=True):
                for column in LISTING_COLUMNS:
                    if column in df.columns:
                        _assert_same(expected[column], row[column], column)
                    else:
                        assert row[column] is None
                extras = [c for c in df.columns if c not in LISTING_COLUMNS]
                if extras:
                    assert set(row["extra_columns"]) == set(extras)
                    for column in extras:
                        _assert_same(expected[column], row["extra_columns"][column], column)
                else:
                    assert row["extra_columns"] is None
