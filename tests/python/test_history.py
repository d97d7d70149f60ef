"""Listing history on a simulated price cut.

A small network written the way miners write it (Parquet files under
data/hotkey=.../job_id=.../, the server time as mtime): four honest miners agree on three
listings, and a liar reports one of them once at another price. Loaded and built; then a
second batch where three of the four miners observe the listing at a lower price (and
another listing go PENDING), loaded and built again (incremental). The history marts, the
snapshot and the "as of" queries must tell both prices apart, and ignore the liar.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from helpers import connect, dbt_paths, resi

from resi.serving import history

HONEST = [f"5Honest{letter * 40}" for letter in "ABCD"]
LIAR = "5Liar" + "L" * 42
ZPIDS = ["20000001", "20000002", "20000003"]
PRICE, CUT_PRICE, LIE_PRICE = 500_000, 475_000, 650_000
DAY1 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DAY3 = DAY1 + timedelta(days=2)
SELECT = [
    "-s",
    "+listing_changes",
    "+unified_listings_snapshot",
    "--indirect-selection",
    "cautious",
]
HISTORY_MARTS = {
    "marts.listing_history": "zpid, field_name, valid_from",
    "intermediate.int_listing_intervals": "zpid, field_name, valid_from",
    "marts.listing_changes": "zpid, field_name, changed_at",
}


def listing_frame(
    observed_at: datetime,
    prices: dict[str, int],
    statuses: dict[str, str],
    zpids: list[str] = ZPIDS,
) -> pd.DataFrame:
    """The listings as a miner's `_create_raw_dataframe()` writes them."""
    frame = pd.DataFrame(
        {
            "uri": [f"https://www.zillow.com/homedetails/{z}_zpid/" for z in ZPIDS],
            "datetime": pd.Timestamp(observed_at.replace(tzinfo=None)),  # miners: naive UTC
            "label": "zip:77494",
            "zpid": ZPIDS,
            "price": [float(prices.get(z, PRICE)) for z in ZPIDS],
            "address": [f"{i + 1} Oak St, Katy, TX 77494" for i in range(len(ZPIDS))],
            "bedrooms": 3.0,
            "bathrooms": 2.5,
            "living_area": 2000.0,
            "home_type": "SINGLE_FAMILY",
            "home_status": [statuses.get(z, "FOR_SALE") for z in ZPIDS],
            "days_on_zillow": 10,
            "url": [f"https://www.zillow.com/homedetails/{z}_zpid/" for z in ZPIDS],
            "zip_code": "77494",
            "city": "Katy",
            "state": "TX",
            "latitude": 29.75,
            "longitude": -95.8,
        }
    )
    return frame[frame["zpid"].isin(zpids)].reset_index(drop=True)


def write_miner_file(bucket: Path, hotkey: str, frame: pd.DataFrame, observed_at: datetime):
    """A miner's upload, named from its own clock, received 10 minutes after scraping."""
    server_time = (observed_at + timedelta(minutes=10)).timestamp()
    stamp = time.strftime("%Y%m%d_%H%M%S", time.gmtime(server_time - 30))
    path = bucket / "data" / f"hotkey={hotkey}" / "job_id=zillow_zip_77494"
    path.mkdir(parents=True, exist_ok=True)
    target = path / f"data_{stamp}_{len(frame)}.parquet"
    frame.to_parquet(target, index=False)
    os.utime(target, (server_time, server_time))


def build(env: dict[str, str], work: Path, *extra: str) -> None:
    proc = resi(env, "dbt", "build", *SELECT, *extra, *dbt_paths(work))
    assert "ERROR=0" in proc.stdout and "WARN=0" in proc.stdout, proc.stdout


def now(env: dict[str, str]) -> datetime:
    with connect(env) as conn:
        row = conn.execute("select now()").fetchone()
    assert row
    return row[0]


def fingerprint(env: dict[str, str]) -> dict[str, tuple[int, str]]:
    result = {}
    with connect(env) as conn:
        for table, key in HISTORY_MARTS.items():
            row = conn.execute(
                f"select count(*), md5(coalesce(string_agg(t::text, E'\\n' order by {key}), ''))"
                f" from {table} as t"
            ).fetchone()
            assert row
            result[table] = (row[0], row[1])
    return result


@pytest.fixture(scope="module")
def price_cut(server_env, tmp_path_factory) -> Iterator[dict]:
    """The network after both batches; yields the env, the observation times of the cut,
    a time between the two builds, and the history marts' incremental fingerprint."""
    from helpers import new_database

    work = tmp_path_factory.mktemp("history")
    bucket = work / "bucket"
    with new_database(server_env) as env:
        # batch 1: every honest miner sees the listings at PRICE, an hour apart; the liar
        # reports listing 1 once, after all of them, at another price
        for i, hotkey in enumerate(HONEST):
            write_miner_file(bucket, hotkey, listing_frame(DAY1 + timedelta(hours=i), {}, {}),
                             DAY1 + timedelta(hours=i))  # fmt: skip
        lie_at = DAY1 + timedelta(hours=6)
        write_miner_file(bucket, LIAR, listing_frame(lie_at, {ZPIDS[0]: LIE_PRICE}, {}), lie_at)
        resi(env, "load", str(bucket))
        build(env, work)
        between = now(env)
        time.sleep(1.5)

        # batch 2: three of the four honest miners see listing 1 cut and listing 2 pending;
        # miner D's latest word stays the old price; listing 3 is not reported again
        cut_times = [DAY3 + timedelta(hours=i) for i in range(3)]
        for hotkey, seen in zip(HONEST[:3], cut_times, strict=True):
            frame = listing_frame(seen, {ZPIDS[0]: CUT_PRICE}, {ZPIDS[1]: "PENDING"}, ZPIDS[:2])
            write_miner_file(bucket, hotkey, frame, seen)
        resi(env, "load", str(bucket))
        build(env, work)
        incremental = fingerprint(env)
        yield {
            "env": env,
            "work": work,
            "cut_times": cut_times,
            "between": between,
            "incremental": incremental,
        }


def test_history_shows_both_prices_with_their_intervals(price_cut):
    cut_times = price_cut["cut_times"]
    with connect(price_cut["env"]) as conn:
        rows = [r for r in history.listing_history(conn, ZPIDS[0]) if r["field_name"] == "price"]
    assert [(r["field_value"], r["valid_from"], r["valid_to"]) for r in rows] == [
        (str(PRICE), DAY1, cut_times[2]),
        # at the first cut observation 1 vote against 3, at the second 2 against 2 (C and
        # D; the liar's vote is for its own price): a tie holds; the third takes the lead
        (str(CUT_PRICE), cut_times[2], None),
    ]
    old, new = rows
    assert old["miner_hotkeys"] == sorted(HONEST) and old["miner_count"] == 4
    assert new["miner_hotkeys"] == sorted(HONEST[:3]) and new["miner_count"] == 3
    assert new["first_observed_at"] == cut_times[0] and new["last_observed_at"] == cut_times[2]
    assert (new["opening_miner_count"], new["opening_voter_count"]) == (3, 5)
    assert [r["is_current"] for r in rows] == [False, True]
    # the liar's single report opened no interval
    assert str(LIE_PRICE) not in {r["field_value"] for r in rows}


def test_unchanged_fields_have_one_interval(price_cut):
    with connect(price_cut["env"]) as conn:
        rows = history.listing_history(conn, ZPIDS[2])
    assert (
        len(rows) == len({r["field_name"] for r in rows}) == 16
    )  # all 17 voted fields but datetime
    assert all(r["valid_from"] == DAY1 and r["valid_to"] is None for r in rows)


def test_changes_show_the_cut_and_the_status(price_cut):
    with connect(price_cut["env"]) as conn:
        cursor = conn.execute(
            "select zpid, field_name, old_value, new_value, changed_at, price_change,"
            " price_change_pct::float8, miner_count from marts.listing_changes"
            " order by zpid, field_name"
        )
        changes = cursor.fetchall()
    cut_times = price_cut["cut_times"]
    assert changes == [
        (ZPIDS[0], "price", str(PRICE), str(CUT_PRICE), cut_times[2], -25_000, -5.0, 3),
        (ZPIDS[1], "home_status", "FOR_SALE", "PENDING", cut_times[2], None, None, 3),
    ]


def test_snapshot_keeps_both_published_versions(price_cut):
    with connect(price_cut["env"]) as conn:
        versions = conn.execute(
            "select price, dbt_valid_from, dbt_valid_to from snapshots.unified_listings_snapshot"
            " where zpid = %s order by dbt_valid_from",
            [ZPIDS[0]],
        ).fetchall()
        untouched = conn.execute(
            "select count(*) from snapshots.unified_listings_snapshot where zpid = %s",
            [ZPIDS[2]],
        ).fetchone()
    assert [v[0] for v in versions] == [PRICE, CUT_PRICE]
    assert versions[0][2] == versions[1][1] and versions[1][2] is None
    assert versions[0][1] < price_cut["between"] < versions[1][1]
    assert untouched == (1,)


def test_as_of_queries_before_and_after_the_cut(price_cut):
    between, cut_times = price_cut["between"], price_cut["cut_times"]
    with connect(price_cut["env"]) as conn:
        # what the database published
        before = history.unified_listing_as_of(conn, ZPIDS[0], between)
        after = history.unified_listing_as_of(conn, ZPIDS[0], now(price_cut["env"]))
        never = history.unified_listing_as_of(conn, ZPIDS[0], DAY1)  # before any build
        # what was observed true
        seen_before = history.observed_listing_as_of(conn, ZPIDS[0], cut_times[1])
        seen_after = history.observed_listing_as_of(conn, ZPIDS[0], cut_times[2])
        seen_first = history.observed_listing_as_of(conn, ZPIDS[0], DAY1 - timedelta(seconds=1))
        with pytest.raises(ValueError, match="time zone"):
            history.unified_listing_as_of(conn, ZPIDS[0], datetime(2025, 3, 1))
    assert before and before["price"] == PRICE
    assert after and after["price"] == CUT_PRICE
    assert never is None
    assert seen_before["price"] == str(PRICE) and seen_before["home_status"] == "FOR_SALE"
    assert seen_after["price"] == str(CUT_PRICE)
    assert seen_first == {}


def test_incremental_equals_full_refresh(price_cut):
    env, work = price_cut["env"], price_cut["work"]
    proc = resi(
        env,
        "dbt",
        "run",
        "--full-refresh",
        "-s",
        *(t.split(".")[1] for t in HISTORY_MARTS),
        *dbt_paths(work),
    )
    assert "ERROR=0" in proc.stdout, proc.stdout
    assert fingerprint(env) == price_cut["incremental"]
