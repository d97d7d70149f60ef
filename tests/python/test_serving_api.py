"""The read-only API on a real database: `resi serve api` (uvicorn) on a free port, against
a small simulated network loaded and built with `resi`, connecting as the reader role.
Every endpoint, the keyset pages, the 4xx errors, the role's limits, and `resi search`
giving the same listings as GET /listings."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
from helpers import connect, new_database, resi
from serving_support import build_network, serving

from resi.serving import settings


@pytest.fixture(scope="module")
def network(server_env, tmp_path_factory) -> Iterator[dict[str, str]]:
    work = tmp_path_factory.mktemp("serving_api")
    with new_database(server_env) as env:
        build_network(env, work)
        yield env


@pytest.fixture(scope="module")
def api(network) -> Iterator[httpx.Client]:
    with serving(network, "api", "/health") as base, httpx.Client(base_url=base) as client:
        yield client


def all_listings(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute(
        "select zpid, price, zip_code, state, latitude::float8, longitude::float8,"
        " consensus_score, unique_miners_count, last_updated_at, home_status, city"
        " from marts.unified_listings"
    ).fetchall()


def walk(api: httpx.Client, params: dict) -> tuple[list[dict], int]:
    """Every page of a search: (listings, the total the first page announced)."""
    listings: list[dict] = []
    first = api.get("/listings", params=params)
    assert first.status_code == 200, first.text
    page = first.json()
    total = page["total"]
    listings += page["listings"]
    while page["next_cursor"]:
        response = api.get("/listings", params={**params, "cursor": page["next_cursor"]})
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["total"] == total
        listings += page["listings"]
    return listings, total


def test_health(api) -> None:
    body = api.get("/health").json()
    assert body["database"] == "ok"
    assert body["listings"] == 150
    assert body["newest_report_at"] and body["newest_build_at"]


@pytest.mark.parametrize(
    ("sort", "order", "key"),
    [
        ("updated", "desc", "last_updated_at"),
        ("price", "asc", "price"),
        ("consensus", "desc", "consensus_score"),
    ],
)
def test_pages_cover_every_listing_once_in_order(api, network, sort, order, key) -> None:
    listings, total = walk(api, {"sort": sort, "order": order, "limit": 7})
    zpids = [row["zpid"] for row in listings]
    with connect(network) as conn:
        every = {row[0] for row in all_listings(conn)}
    assert total == len(every) == 150
    assert len(zpids) == len(set(zpids)) and set(zpids) == every
    values = [(row[key], row["zpid"]) for row in listings]
    assert values == sorted(values, reverse=(order == "desc"))


@pytest.mark.parametrize(("sort", "order"), [("updated", "desc"), ("price", "asc")])
def test_a_search_by_zip_codes_pages_as_the_whole_search_does(api, network, sort, order) -> None:
    """The by-zip search (one ordered read per zip code, merged) returns, page by page, the
    whole search's listings of those zip codes in the same order."""
    every, _ = walk(api, {"sort": sort, "order": order, "limit": 50})
    zips = sorted({row["zip_code"] for row in every})[:3]
    # a zip code named twice is searched once
    zip_param = ",".join([*zips, zips[0]])
    by_zip, total = walk(api, {"sort": sort, "order": order, "limit": 7, "zip": zip_param})
    expected = [row["zpid"] for row in every if row["zip_code"] in zips]
    assert len(expected) > 7 * 2  # several pages, every zip code on them
    assert [row["zpid"] for row in by_zip] == expected
    assert total == len(expected)


def test_filters_match_the_marts(api, network) -> None:
    with connect(network) as conn:
        rows = all_listings(conn)
    zips = sorted({row[2] for row in rows})[:2]
    states = sorted({row[3] for row in rows})
    prices = sorted(row[1] for row in rows if row[1] is not None)
    low, high = prices[len(prices) // 4], prices[3 * len(prices) // 4]
    lat0, lon0 = rows[0][4], rows[0][5]

    def km(lat: float, lon: float) -> float:
        p1, p2 = math.radians(lat0), math.radians(lat)
        dp, dl = p2 - p1, math.radians(lon - lon0)
        h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * 6371.0088 * math.asin(math.sqrt(h))

    cases = [
        ({"zip": ",".join(zips)}, lambda r: r[2] in zips),
        ({"state": states[0].lower()}, lambda r: r[3] == states[0]),
        ({"min_price": low, "max_price": high}, lambda r: r[1] is not None and low <= r[1] <= high),
        ({"status": ["FOR_SALE", "PENDING"]}, lambda r: r[9] in ("FOR_SALE", "PENDING")),
        ({"city": rows[0][10].lower()}, lambda r: r[10] == rows[0][10]),
        ({"min_consensus": 0.99}, lambda r: r[6] is not None and r[6] >= 0.99),
        ({"min_miners": 4}, lambda r: r[7] >= 4),
        ({"near": f"{lat0},{lon0}", "radius_km": 3}, lambda r: km(r[4], r[5]) <= 3),
        (
            {"bbox": f"{lat0 - 0.05},{lon0 - 0.05},{lat0 + 0.05},{lon0 + 0.05}"},
            lambda r: abs(r[4] - lat0) <= 0.05 and abs(r[5] - lon0) <= 0.05,
        ),
    ]
    newest = max(row[8] for row in rows)
    cases.append(({"updated_since": newest.isoformat()}, lambda r: r[8] >= newest))
    for params, keep in cases:
        expected = {row[0] for row in rows if keep(row)}
        listings, total = walk(api, {**params, "limit": 50})
        assert expected, params  # every case selects something
        assert {row["zpid"] for row in listings} == expected, params
        assert total == len(expected), params


def test_rows_carry_the_attestation_summary(api, network) -> None:
    row = api.get("/listings", params={"limit": 1}).json()["listings"][0]
    with connect(network) as conn:
        count, miners, latest = conn.execute(
            "select count(*), array_agg(distinct miner_hotkey order by miner_hotkey),"
            " max(submission_timestamp) from marts.miner_attestations where zpid = %s",
            [row["zpid"]],
        ).fetchone()
    assert row["attestation_count"] == count == row["total_submissions"]
    assert row["attesting_miners"] == miners
    assert row["attesting_miners_count"] == len(miners) == row["unique_miners_count"]
    assert row["latest_submission_at"] == latest.isoformat()


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"min_price": 500000, "max_price": 100}, "min_price"),
        ({"zip": "1234"}, "zip"),
        ({"zip": "123456"}, "zip"),
        ({"status": "BOGUS"}, "status"),
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"min_consensus": 2}, "min_consensus"),
        ({"state": "Texas"}, "state"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "50,0,40,1"}, "bbox"),
        ({"near": "91,0", "radius_km": 5}, "near"),
        ({"near": "40,-74"}, "radius_km"),
        ({"sort": "random"}, "sort"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"min_miners": 0}, "min_miners"),
    ],
)
def test_bad_input_is_a_422_naming_the_parameter(api, params, parameter) -> None:
    response = api.get("/listings", params=params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["parameter"] == parameter and body["error"]


def test_a_cursor_for_another_sort_is_refused(api) -> None:
    cursor = api.get("/listings", params={"limit": 2}).json()["next_cursor"]
    response = api.get("/listings", params={"limit": 2, "sort": "price", "cursor": cursor})
    assert response.status_code == 422 and response.json()["parameter"] == "cursor"


def test_one_listing_has_values_consensus_rivals_and_attestations(api, network) -> None:
    with connect(network) as conn:
        zpid, price, submissions = conn.execute(
            "select zpid, price, total_submissions from marts.unified_listings"
            " where zpid in (select zpid from marts.listing_consensus where not is_consensus)"
            " order by zpid limit 1"
        ).fetchone()
    body = api.get(f"/listings/{zpid}").json()
    assert body["listing"]["zpid"] == zpid and body["listing"]["price"] == price
    assert body["fields"]["price"]["consensus"]["field_value"] == str(price)
    assert any(field["rivals"] for field in body["fields"].values())
    for field in body["fields"].values():
        for rival in field["rivals"]:
            assert rival["miner_count"] <= field["consensus"]["miner_count"]
    assert body["attestation_count"] == len(body["attestations"]) == submissions
    assert api.get("/listings/0000").status_code == 404


def test_history_is_the_listing_history_mart(api, network) -> None:
    zpid = api.get("/listings", params={"limit": 1}).json()["listings"][0]["zpid"]
    with connect(network) as conn:
        rows = conn.execute(
            "select field_name, field_value, valid_from, valid_to from marts.listing_history"
            " where zpid = %s order by field_name, valid_from",
            [zpid],
        ).fetchall()
    assert rows, "every listing has a history"
    body = api.get(f"/listings/{zpid}/history").json()
    assert [(r["field_name"], r["field_value"]) for r in body["history"]] == [
        (name, value) for name, value, _, _ in rows
    ]
    first = min(valid_from for _, _, valid_from, _ in rows)
    current = {(name, value) for name, value, _, valid_to in rows if valid_to is None}
    now = api.get(f"/listings/{zpid}/history", params={"as_of": "2100-01-01T00:00:00Z"})
    assert {(r["field_name"], r["field_value"]) for r in now.json()["history"]} == current
    before = api.get(
        f"/listings/{zpid}/history", params={"as_of": (first - timedelta(days=1)).isoformat()}
    )
    assert before.status_code == 404  # nothing was known of the listing yet
    assert api.get(f"/listings/{zpid}/history", params={"as_of": "soon"}).status_code == 422


def test_miners_alerts_and_network_quality(api, network) -> None:
    miners = api.get("/miners").json()
    with connect(network) as conn:
        count = conn.execute("select count(*) from marts.miner_performance").fetchone()[0]
        alerts = conn.execute("select count(*) from marts.quality_alerts").fetchone()[0]
        days = conn.execute("select count(*) from marts.network_quality_daily").fetchone()[0]
    assert miners["count"] == count == len(miners["miners"]) > 0
    hotkey = miners["miners"][0]["miner_hotkey"]
    one = api.get(f"/miners/{hotkey}").json()
    assert one["miner"]["miner_hotkey"] == hotkey
    assert sum(f["reports"] for f in one["files"]) == one["miner"]["reports_count"]
    assert api.get("/miners/nobody").status_code == 404
    assert api.get("/miners", params={"sort": "nonsense"}).status_code == 422
    assert api.get("/alerts").json()["count"] == alerts > 0  # the --bad network raises some
    quality = api.get("/network/quality").json()
    assert quality["count"] == days == len(quality["days"]) > 0
    assert {"miner_agreement_ratio", "data_freshness_score", "field_completeness",
            "geographic_coverage"} <= set(quality["days"][0])  # fmt: skip


def test_openapi_docs_are_served_offline(api) -> None:
    page = api.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower()
    scripts = [part.split('"')[0] for part in page.text.split('src="')[1:]]
    assert scripts and all(src.startswith("/") for src in scripts)
    for src in scripts:
        assert api.get(src).status_code == 200, src
    spec = api.get("/openapi.json").json()
    assert {"/listings", "/listings/{zpid}", "/miners", "/alerts", "/health"} <= set(spec["paths"])


def test_the_api_connects_as_a_reader_that_cannot_write_or_read_raw(api, network) -> None:
    with connect(network) as conn:
        users = conn.execute(
            "select distinct usename from pg_stat_activity"
            " where datname = current_database() and application_name = 'resi-serving'"
        ).fetchall()
    assert users == [(settings.reader_role(),)]
    reader = {**network, "PGUSER": settings.reader_role()}
    refused = [
        "select * from raw.source_files limit 1",
        "select * from staging.stg_raw__source_files limit 1",
        "delete from marts.listing_consensus",
        "update marts.miner_performance set files_loaded = 0",
        "create table marts.intruder (x int)",
        "drop view marts.unified_listings",
    ]
    for statement in refused:
        with connect(reader) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


def test_bearer_token_when_configured(network) -> None:
    with serving({**network, "RESI_API_TOKEN": "s3cret"}, "api", "/health") as base:
        assert httpx.get(f"{base}/health").status_code == 200  # for load balancers
        assert httpx.get(f"{base}/miners").status_code == 401
        wrong = httpx.get(f"{base}/miners", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.json()["error"]
        right = httpx.get(f"{base}/miners", headers={"Authorization": "Bearer s3cret"})
        assert right.status_code == 200


def test_resi_search_returns_what_the_api_returns(api, network, tmp_path: Path) -> None:
    for params, flags in [
        ({}, []),
        ({"min_consensus": 0.9, "sort": "price", "order": "asc"},
         ["--min-consensus", "0.9", "--sort", "price", "--order", "asc"]),
        ({"status": "FOR_SALE,SOLD", "min_price": 200000},
         ["--status", "FOR_SALE", "--status", "SOLD", "--min-price", "200000"]),
    ]:  # fmt: skip
        listings, total = walk(api, {**params, "limit": 40})
        out = resi(network, "search", *flags, "--json", "--limit", "1000")
        cli = json.loads(out.stdout)
        assert cli["total"] == total and not cli["cut"]
        assert [r["zpid"] for r in cli["listings"]] == [r["zpid"] for r in listings]
        assert cli["listings"] == listings


def test_resi_search_says_when_results_are_cut_and_fits_100_columns(network) -> None:
    table = resi(network, "search", "--limit", "5")
    lines = table.stdout.splitlines()
    assert len(lines) == 2 + 5 and max(len(line) for line in lines) <= 100
    assert "showing 5 of 150" in table.stderr
    csv_out = resi(network, "search", "--limit", "3", "--csv", "--zip", "00000")
    assert csv_out.stdout.splitlines()[0].startswith("zpid,")
    bad = resi(network, "search", "--zip", "6510", check=False)
    assert bad.returncode == 2 and "zip" in bad.stderr and "Traceback" not in bad.stderr
