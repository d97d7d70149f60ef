"""The simulated miner network: layout, per-file type variance, truth and its majority."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from resi.simulation import network as simulate
from resi.simulation import writer
from resi.simulation.network import KEY_PATTERN, TRUTH_SCHEMA, canonical_enum, normalize_address

FIELDS = [f for f in TRUTH_SCHEMA.names if f != "zpid"]


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim")
    report = writer.write_network(out, seed=11, listings=600, miners=12, bad=True)
    assert "rows" in report
    return out


def _files(out: Path) -> dict[str, Path]:
    bucket = out / "bucket"
    return {p.relative_to(bucket).as_posix(): p for p in bucket.rglob("*") if p.is_file()}


def _doc(out: Path) -> dict:
    return json.loads((out / "truth" / "miners.json").read_text())


def _good_files(out: Path) -> dict[str, Path]:
    bad = {b["key"] for b in _doc(out)["bad_objects"] if b["expected_status"] == "rejected"}
    return {k: p for k, p in _files(out).items() if k not in bad}


def test_deterministic(tmp_path: Path) -> None:
    def run(name: str) -> dict[str, tuple[bytes, int]]:
        out = tmp_path / name
        writer.write_network(out, seed=5, listings=150, miners=7, bad=True)
        truth = {p.name: p for p in (out / "truth").iterdir()}
        files = {**_files(out), **truth}
        return {k: (p.read_bytes(), p.stat().st_mtime_ns) for k, p in files.items()}

    assert run("a") == run("b")


def test_layout_and_claimed_counts(network: Path) -> None:
    good = _good_files(network)
    assert len(good) > 100
    mismatches = 0
    for key, path in good.items():
        match = KEY_PATTERN.match(key)
        assert match and _valid_key(key), key
        mismatches += int(match["count"]) != pq.ParquetFile(path).metadata.num_rows
    assert 1 <= mismatches <= 3
    special = {
        s["key"] for s in _doc(network)["special_files"] if "claimed_count_mismatch" in s["notes"]
    }
    assert len(special) == mismatches


def _valid_key(key: str) -> bool:
    match = KEY_PATTERN.match(key)
    try:
        return bool(match) and bool(
            datetime.strptime(match["date"] + match["time"], "%Y%m%d%H%M%S")
        )
    except ValueError:
        return False


def _kind(t: pa.DataType) -> str:
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    if pa.types.is_timestamp(t):
        return f"timestamp[{t.unit}, {'aware' if t.tz else 'naive'}]"
    return str(t)


def test_arrow_types_vary_between_files(network: Path) -> None:
    seen: dict[str, set[str]] = {}
    for path in _good_files(network).values():
        for f in pq.read_schema(path):
            seen.setdefault(f.name, set()).add(_kind(f.type))
    assert {"string", "int64", "double"} <= seen["zpid"]
    assert {"string", "int64"} <= seen["zip_code"]
    assert {"int64", "double", "null"} <= seen["price"]
    stamps = seen["datetime"]
    assert any("naive" in s for s in stamps) and any("aware" in s for s in stamps)
    assert len({s.split(",")[0] for s in stamps}) >= 2  # at least two units
    assert "lot_size" in seen  # the file with an extra column
    assert (
        sum(
            1
            for p in _good_files(network).values()
            if "days_on_zillow" not in pq.read_schema(p).names
        )
        == 1
    )


def test_sparse_miners_write_null_columns(network: Path) -> None:
    sparse = [m["hotkey"] for m in _doc(network)["miners"] if m["kind"] == "sparse"]
    assert sparse
    checked = 0
    for key, path in _good_files(network).items():
        if key.split("/")[1].removeprefix("hotkey=") in sparse:
            table = pq.read_table(path)
            for col in ("home_type", "home_status", "living_area", "zip_code", "city", "state"):
                assert table.column(col).null_count == table.num_rows, (key, col)
            assert all(v.startswith("zip:") for v in table.column("label").to_pylist())
            checked += 1
    assert checked


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """A small Python mirror of the dbt staging normalization, for the truth check."""
    out = pd.DataFrame(index=frame.index)

    def number(c: str) -> pd.Series:
        missing = pd.Series(None, index=frame.index, dtype=float)
        return pd.to_numeric(frame[c]) if c in frame else missing

    out["zpid"] = number("zpid").astype("Int64").astype("string")
    for col in ("price", "bedrooms", "living_area", "days_on_zillow"):
        out[col] = number(col).round().astype("Int64")
    out["bathrooms"] = number("bathrooms")
    out["latitude"] = number("latitude").round(5)
    out["longitude"] = number("longitude").round(5)
    zips = number("zip_code").astype("Int64").astype("string")
    out["zip_code"] = zips.str.zfill(5)
    out["uri"], out["url"] = frame["uri"], frame["url"]

    def text(c: str) -> pd.Series:
        return frame[c].map(lambda v: None if v is None else " ".join(str(v).upper().split()))

    out["address"] = frame["address"].map(normalize_address)
    out["city"], out["state"] = text("city"), text("state")
    out["home_type"] = frame["home_type"].map(
        lambda v: v and canonical_enum(v, simulate.HOME_TYPES)
    )
    out["home_status"] = frame["home_status"].map(
        lambda v: v and canonical_enum(v, simulate.HOME_STATUSES)
    )
    return out


def test_truth_and_honest_majority(network: Path) -> None:
    truth = pq.read_table(network / "truth" / "listings.parquet")
    assert truth.schema.equals(TRUTH_SCHEMA)
    truth_df = truth.to_pandas().set_index("zpid")
    assert truth_df.index.is_unique
    assert truth_df["zip_code"].str.fullmatch(r"\d{5}").all()
    assert truth_df["zip_code"].str.startswith("0").any()
    assert not truth_df.isna().any().any()

    reports = []
    for key, path in _good_files(network).items():
        frame = pd.read_parquet(path).drop(columns="datetime").astype(object)
        frame["miner"] = key.split("/")[1]
        frame["server"] = path.stat().st_mtime_ns
        reports.append(frame)
    raw = pd.concat(reports, ignore_index=True)
    canonical = _canonical(raw).assign(miner=raw["miner"], server=raw["server"])
    latest = canonical.sort_values("server").drop_duplicates(["miner", "zpid"], keep="last")
    assert set(latest["zpid"]) == set(truth_df.index)
    expected = truth_df.loc[latest["zpid"]].reset_index(drop=True)
    latest = latest.reset_index(drop=True)
    for col in FIELDS:
        voted = latest[col].notna()
        right = voted & (latest[col].astype(object) == expected[col].astype(object))
        per = pd.DataFrame({"zpid": latest["zpid"], "voted": voted, "right": right})
        counts = per.groupby("zpid")[["voted", "right"]].sum()
        assert (counts["voted"] > 0).all(), col
        assert (2 * counts["right"] > counts["voted"]).all(), col


def test_claimed_times_and_skewed_clock(network: Path) -> None:
    kinds = {m["hotkey"]: m["kind"] for m in _doc(network)["miners"]}
    for key, path in _good_files(network).items():
        match = KEY_PATTERN.match(key)
        assert match
        claimed = pd.Timestamp(f"{match['date']}T{match['time']}", tz="UTC").timestamp()
        lag = path.stat().st_mtime - claimed
        if kinds.get(match["hotkey"]) == "skewed_clock":
            assert 3 * 3600 <= abs(lag) <= 9 * 3600, key
        else:
            assert 0 <= lag <= 300, key


def test_bad_objects(network: Path) -> None:
    bad = _doc(network)["bad_objects"]
    files = _files(network)
    assert {b["category"] for b in bad} == {"unreadable_file", "bad_key", "hostile_hotkey"}
    assert any(files[b["key"]].stat().st_size == 0 for b in bad)
    for b in bad:
        path = files[b["key"]]
        if b["category"] == "unreadable_file":
            assert KEY_PATTERN.match(b["key"])
            with pytest.raises(pa.ArrowException):
                pq.read_table(path)
        elif b["category"] == "bad_key":
            assert not _valid_key(b["key"])
        else:
            assert b["expected_status"] == "loaded"
            assert "DROP TABLE" in b["key"] and KEY_PATTERN.match(b["key"])
            assert pq.read_table(path).num_rows == 10
    truth = set(pq.read_table(network / "truth" / "listings.parquet").column("zpid").to_pylist())
    fake = pq.read_table(files[next(b["key"] for b in bad if b["category"] == "bad_key")])
    assert not set(map(str, fake.column("zpid").to_pylist())) & truth


def test_scenarios_add_their_threat_on_top_of_the_same_network() -> None:
    from resi.simulation.network import build_network
    from resi.simulation.scenarios import SCENARIOS, apply_scenario

    base = build_network(7, 300, 10)
    for name in SCENARIOS:
        net = build_network(7, 300, 10, lambda n, name=name: apply_scenario(n, name))
        # the ordinary network underneath is untouched: same first files, same keys
        assert net.keys[: len(base.keys)] == base.keys, name
        kinds = [m.kind for m in net.miners]
        extra = {
            "colluding-third": ("colluder", 5), "colluding-majority": ("colluder", 10),
            "colluding-60": ("colluder", 15), "repacked-copies": ("repacker", 10),
        }.get(name)  # fmt: skip
        if extra:
            assert kinds.count(extra[0]) == extra[1], name
        if name in ("listing-changes", "reuploads", "copycats"):
            assert len(net.keys) > len(base.keys), name
    with pytest.raises(ValueError, match="unknown scenario"):
        build_network(7, 300, 10, lambda n: apply_scenario(n, "nope"))


def test_reuploads_keep_the_old_scrape_time(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    writer.write_network(out, seed=3, listings=200, miners=8, bad=False, scenario="reuploads")
    assert _doc(out)["scenario"] == "reuploads"
    frames = [pd.read_parquet(p) for p in _files(out).values()]
    rows = pd.concat(frames, ignore_index=True)
    rows["datetime"] = pd.to_datetime(rows["datetime"], utc=True, format="mixed")
    # a re-upload repeats (zpid, datetime) of an earlier row exactly
    assert rows.duplicated(subset=["zpid", "datetime", "price"]).sum() > 0
