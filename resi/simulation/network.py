"""Simulate a RESI miner network: a local bucket in the real S3 layout, plus ground truth.

`write_network(out_dir, seed=, listings=, miners=, bad=)` writes

- ``out_dir/bucket/data/hotkey={hotkey}/job_id={job_id}/data_{YYYYMMDD}_{HHMMSS}_{n}.parquet``:
  each file written the way miners write them (a pandas DataFrame built from decoded JSON,
  then ``df.to_parquet(path, index=False)``), so Arrow types vary from file to file. Each
  file's mtime is its simulated server time (the S3 ``LastModified`` stand-in); the name's
  timestamp is the miner's claimed local time (naive), and ``n`` its claimed row count.
- ``out_dir/truth/listings.parquet``: one row per zpid, the final real values in the
  canonical form dbt staging normalizes to (see `TRUTH_SCHEMA`):
  zpid, uri, url, address, home_type, home_status, zip_code, city, state: string;
  price, bedrooms, living_area, days_on_zillow: int64; bathrooms, latitude, longitude:
  float64 (bathrooms in 0.5 steps, coordinates rounded to 5 decimals). No nulls.
- ``out_dir/truth/miners.json``: the network (see `write_network` for the format).

Everything is a pure function of the seed: same seed, same bytes, same mtimes (large
networks are written by forked worker processes; each file depends only on its spec).

The network: most miners are honest; the others are noisy, liars, sparse (whole columns
null), a copycat and a skewed clock (see `MINER_KINDS`). Each miner has one formatting
style (pandas 2 `object` or pandas 3 `str` strings, zpid/zip/price/bedrooms/living_area
as int or float, naive or UTC timestamps in ns/us/ms, enum spelling, address style): see
the "style" of each miner in miners.json. Listings change between the 3 rounds (price
drops, FOR_SALE → PENDING → SOLD; days_on_zillow moves when something changes).

Guarantee: for every listing and every truth field, strictly more than half of the miners
whose most recent report (by server time) of that listing has the field non-null report
the true value. Miners re-submit over rounds; any miner whose earlier report went stale
re-reports the listing after its last change, so "latest report per miner" is current.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

# ---------------------------------------------------------------------------------------
# The canonical vocabulary (mirrored by dbt seeds)
# ---------------------------------------------------------------------------------------

#: The 18 columns of a miner file, in the miners' order.
COLUMNS: tuple[str, ...] = (
    "uri", "datetime", "label", "zpid", "price", "address", "bedrooms", "bathrooms",
    "living_area", "home_type", "home_status", "days_on_zillow", "url", "zip_code", "city",
    "state", "latitude", "longitude",
)  # fmt: skip

#: USPS street suffix abbreviations applied (as whole words) to upper-cased addresses.
STREET_SUFFIXES: dict[str, str] = {
    "STREET": "ST", "AVENUE": "AVE", "ROAD": "RD", "DRIVE": "DR", "LANE": "LN",
    "BOULEVARD": "BLVD", "COURT": "CT", "PLACE": "PL", "CIRCLE": "CIR", "TERRACE": "TER",
    "PARKWAY": "PKWY", "HIGHWAY": "HWY", "TRAIL": "TRL", "WAY": "WAY",
}  # fmt: skip

HOME_TYPES: tuple[str, ...] = (
    "SINGLE_FAMILY", "CONDO", "TOWNHOUSE", "MULTI_FAMILY", "MANUFACTURED", "LOT", "APARTMENT",
)  # fmt: skip
HOME_STATUSES: tuple[str, ...] = ("FOR_SALE", "PENDING", "SOLD", "FOR_RENT", "OFF_MARKET")

#: Raw spellings per miner style, index-aligned with HOME_TYPES / HOME_STATUSES.
HOME_TYPE_STYLES: dict[str, tuple[str, ...]] = {
    "zillow": HOME_TYPES,
    "pascal": ("SingleFamily", "Condo", "Townhouse", "MultiFamily", "Manufactured", "Lot",
               "Apartment"),
    "words": ("single family", "condo", "townhouse", "multi family", "manufactured", "lot",
              "apartment"),
}  # fmt: skip
HOME_STATUS_STYLES: dict[str, tuple[str, ...]] = {
    "zillow": ("FOR_SALE", "PENDING", "RECENTLY_SOLD", "FOR_RENT", "OFF_MARKET"),
    "pascal": ("ForSale", "Pending", "Sold", "ForRent", "OffMarket"),
    "words": ("for sale", "pending", "sold", "for rent", "off market"),
}

#: Every raw value the simulator emits → its canonical value (the dbt mapping seeds).
#: Rule of thumb: upper-case, drop non-letters, then look up (RECENTLYSOLD → SOLD).
RAW_HOME_TYPE_VARIANTS: dict[str, str] = {
    raw: canon
    for style in HOME_TYPE_STYLES.values()
    for raw, canon in zip(style, HOME_TYPES, strict=True)
}
RAW_HOME_STATUS_VARIANTS: dict[str, str] = {
    raw: canon
    for style in HOME_STATUS_STYLES.values()
    for raw, canon in zip(style, HOME_STATUSES, strict=True)
}

#: The layout of a good key (relative to the bucket root).
KEY_PATTERN = re.compile(
    r"^data/hotkey=(?P<hotkey>[^/]+)/job_id=(?P<job_id>[^/]+)/"
    r"data_(?P<date>\d{8})_(?P<time>\d{6})_(?P<count>\d+)\.parquet$"
)

TRUTH_SCHEMA = pa.schema(
    [
        ("zpid", pa.string()), ("uri", pa.string()), ("url", pa.string()),
        ("price", pa.int64()), ("address", pa.string()), ("bedrooms", pa.int64()),
        ("bathrooms", pa.float64()), ("living_area", pa.int64()),
        ("home_type", pa.string()), ("home_status", pa.string()),
        ("days_on_zillow", pa.int64()), ("zip_code", pa.string()), ("city", pa.string()),
        ("state", pa.string()), ("latitude", pa.float64()), ("longitude", pa.float64()),
    ]
)  # fmt: skip

MINER_KINDS: dict[str, str] = {
    "honest": "exact values in its own consistent formatting style",
    "noisy": "mostly right; ~4% of price/bedrooms/bathrooms/living_area/days/address wrong",
    "liar": "always reports one field wrong (see lie_field)",
    "sparse": "scraper uses other keys: home_type, home_status, living_area, days_on_zillow, "
    "zip_code, city, state are all-null; location only inside address and label",
    "copycat": "re-uploads copies of another miner's final-round files (see copies)",
    "skewed_clock": "honest values, but file-name timestamps off by 3-9 hours",
}

#: The order in which non-honest kinds are handed out (the rest of the network is honest).
_SPECIAL_KINDS = ("noisy", "liar", "sparse", "copycat", "skewed_clock", "liar", "noisy", "sparse")
_SPARSE_NULL = ("home_type", "home_status", "living_area", "days_on_zillow", "zip_code", "city",
                "state")  # fmt: skip
_LIE_FIELDS = ("price", "home_status", "bedrooms")

# zip, city, state, latitude, longitude, price per square foot; leading-zero zips first so
# that small networks (which use only the first zips) still have them
ZIP_AREAS: tuple[tuple[str, str, str, float, float, int], ...] = (
    ("08701", "Lakewood", "NJ", 40.08, -74.20, 260),
    ("77494", "Katy", "TX", 29.74, -95.83, 160),
    ("00901", "San Juan", "PR", 18.465, -66.11, 180),
    ("07030", "Hoboken", "NJ", 40.745, -74.03, 650),
    ("77479", "Sugar Land", "TX", 29.57, -95.63, 170),
    ("07302", "Jersey City", "NJ", 40.72, -74.05, 550),
    ("78704", "Austin", "TX", 30.24, -97.77, 420),
    ("08540", "Princeton", "NJ", 40.35, -74.66, 380),
    ("75204", "Dallas", "TX", 32.80, -96.79, 300),
    ("02139", "Cambridge", "MA", 42.365, -71.10, 800),
    ("77007", "Houston", "TX", 29.77, -95.41, 250),
    ("02118", "Boston", "MA", 42.34, -71.07, 850),
    ("10001", "New York", "NY", 40.75, -73.997, 1100),
    ("01602", "Worcester", "MA", 42.27, -71.84, 250),
    ("11215", "Brooklyn", "NY", 40.66, -73.98, 900),
    ("06510", "New Haven", "CT", 41.31, -72.93, 230),
    ("33139", "Miami Beach", "FL", 25.78, -80.13, 600),
    ("06103", "Hartford", "CT", 41.77, -72.67, 150),
    ("32801", "Orlando", "FL", 28.54, -81.38, 230),
    ("06830", "Greenwich", "CT", 41.04, -73.63, 700),
    ("33602", "Tampa", "FL", 27.95, -82.46, 280),
    ("03801", "Portsmouth", "NH", 43.07, -70.76, 400),
    ("94110", "San Francisco", "CA", 37.75, -122.415, 950),
    ("04101", "Portland", "ME", 43.66, -70.26, 380),
    ("90210", "Beverly Hills", "CA", 34.09, -118.41, 1200),
    ("05401", "Burlington", "VT", 44.48, -73.21, 330),
    ("92101", "San Diego", "CA", 32.72, -117.16, 650),
    ("02903", "Providence", "RI", 41.82, -71.41, 300),
    ("60614", "Chicago", "IL", 41.92, -87.65, 350),
    ("98103", "Seattle", "WA", 47.67, -122.34, 550),
    ("80202", "Denver", "CO", 39.75, -104.99, 420),
    ("85004", "Phoenix", "AZ", 33.45, -112.07, 300),
    ("30309", "Atlanta", "GA", 33.79, -84.38, 330),
    ("28202", "Charlotte", "NC", 35.23, -80.84, 300),
    ("43215", "Columbus", "OH", 39.96, -83.00, 200),
    ("37203", "Nashville", "TN", 36.15, -86.79, 380),
    ("19103", "Philadelphia", "PA", 39.95, -75.17, 320),
    ("55401", "Minneapolis", "MN", 44.98, -93.27, 260),
)

_STREET_NAMES = (
    "Oak", "Maple", "Cedar", "Pine", "Elm", "Willow", "Birch", "Main", "Park", "Lake", "Hill",
    "River", "Sunset", "Meadow", "Church", "Washington", "Lincoln", "Jefferson", "Madison",
    "Franklin", "Highland", "Mill", "Spring", "Chestnut", "Walnut", "Hickory", "Magnolia",
    "Cypress", "Pecan", "Dogwood", "Laurel", "Holly", "Juniper", "Aspen", "Spruce", "Sycamore",
    "Prairie", "Creek", "Old Mill", "Martin Luther King", "Forest", "Brookside", "Harbor View",
)  # fmt: skip
_SUFFIX_FULL = tuple(STREET_SUFFIXES)
_BASE58 = np.array(list("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"))

ROUNDS = 3
_START = int(pd.Timestamp("2025-06-02T00:00:00Z").timestamp())  # server time of round 0
_FOR_SALE, _PENDING, _SOLD, _FOR_RENT, _OFF_MARKET = range(5)


def normalize_address(raw: str) -> str:
    """The canonical address: upper-case, whitespace collapsed, suffix words abbreviated."""
    text = " ".join(raw.upper().split())
    return _SUFFIX_RE.sub(lambda m: STREET_SUFFIXES[m.group(1)], text)


_SUFFIX_RE = re.compile(r"\b(" + "|".join(STREET_SUFFIXES) + r")\b")


def canonical_enum(raw: str, canon: tuple[str, ...]) -> str | None:
    """Map a raw home_type/home_status to its canonical value (None when unknown)."""
    key = re.sub(r"[^A-Z]", "", raw.upper())
    key = "SOLD" if key == "RECENTLYSOLD" else key
    return next((c for c in canon if c.replace("_", "") == key), None)


# ---------------------------------------------------------------------------------------
# Network model
# ---------------------------------------------------------------------------------------


@dataclass
class Miner:
    index: int
    hotkey: str
    uid: int
    kind: str
    style: dict[str, Any]
    lie_field: str | None = None
    copies: int | None = None  # index of the miner a copycat copies
    clock_skew_s: int = 0  # claimed (file-name) time minus server time, beyond the lag
    name_lag_s: int = 0  # how long before upload the miner names its file


@dataclass
class FileSpec:
    miner: int  # the uploader
    job_id: str
    start: int  # slice of the (sorted) row arrays
    stop: int
    server: int  # epoch seconds: mtime / LastModified
    claimed: int  # epoch seconds of the naive file-name timestamp
    round: int
    source: int | None = None  # a copycat's file: the index of the copied file
    claimed_count: int | None = None
    style_of: int | None = None  # the miner whose formatting the rows get (default: uploader)
    zpid_float: bool = False
    price_null: bool = False
    extra_column: str | None = None
    missing_column: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.stop - self.start

    def key(self, hotkey: str) -> str:
        stamp = time.strftime("%Y%m%d_%H%M%S", time.gmtime(self.claimed))
        count = self.rows if self.claimed_count is None else self.claimed_count
        return f"data/hotkey={hotkey}/job_id={self.job_id}/data_{stamp}_{count}.parquet"


def _cycle(options: tuple[Any, ...], index: int, order: np.ndarray) -> Any:
    """Hand options out in turn along a per-attribute shuffled order of the miners, so each
    option goes to about the same number of miners, independently of the other attributes."""
    return options[int(order[index]) % len(options)]


def _make_miners(rng: np.random.Generator, count: int) -> list[Miner]:
    if count < 3:
        raise ValueError("a network needs at least 3 miners")
    n_special = (count - 2) // 2
    kinds = [_SPECIAL_KINDS[i % len(_SPECIAL_KINDS)] for i in range(n_special)]
    kinds += ["honest"] * (count - n_special)
    kinds = [kinds[i] for i in rng.permutation(count)]
    uids = rng.choice(max(256, count), size=count, replace=False)
    orders = [rng.permutation(count) for _ in range(15)]
    miners = []
    for i, kind in enumerate(kinds):
        hotkey = "5" + "".join(_BASE58[rng.integers(0, 58, size=47)])
        style = {
            "pandas_strings": _cycle(("object", "str"), i, orders[0]),  # pandas 2 vs 3 style
            "zpid": _cycle(("str", "int"), i, orders[1]),
            "zip_code": _cycle(("int", "str"), i, orders[2]),
            "price": _cycle(("int", "float"), i, orders[3]),
            "bedrooms": _cycle(("int", "float"), i, orders[4]),
            "living_area": _cycle(("float", "int"), i, orders[5]),
            "datetime_tz": _cycle(("naive", "utc"), i, orders[6]),
            "datetime_unit": _cycle(("ns", "us", "ns", "ms", "ns"), i, orders[7]),
            "enums": _cycle(tuple(HOME_TYPE_STYLES), i, orders[8]),
            "address": _cycle(_ADDRESS_STYLES, i, orders[9]),
            "double_spaces": bool(_cycle((False, True, False), i, orders[10])),
            "city_case": _cycle(("title", "upper"), i, orders[11]),
            "state_case": _cycle(("upper", "upper", "lower"), i, orders[12]),
            "coordinate_digits": _cycle((5, 7), i, orders[13]),
            "testnet_share": _cycle((0.0, 0.0, 0.25), i, orders[14]),
        }
        miners.append(Miner(i, hotkey, int(uids[i]), kind, style))
    liars = [m for m in miners if m.kind == "liar"]
    for j, m in enumerate(liars):
        m.lie_field = _LIE_FIELDS[j % len(_LIE_FIELDS)]
    honest = [m.index for m in miners if m.kind == "honest"]
    for m in miners:
        m.name_lag_s = int(rng.integers(1, 240))
        if m.kind == "copycat":
            m.copies = int(rng.choice(honest))
        if m.kind == "skewed_clock":
            m.clock_skew_s = int(rng.choice([-1, 1]) * rng.integers(3 * 3600, 9 * 3600))
    # One int-zpid honest miner writes zpid as a double in every other file.
    float_miner = next((m for m in miners if m.kind == "honest" and m.style["zpid"] == "int"), None)
    if float_miner is not None:
        float_miner.style["zpid_float_every_other_file"] = True
    return miners


_ADDRESS_STYLES = ("title_full", "title_abbr", "upper_abbr", "upper_full", "lower_full")


@dataclass
class Listings:
    """Per-listing ground truth; price/status/days per round (shape n × ROUNDS)."""

    zpid: np.ndarray
    zip_index: np.ndarray
    number: np.ndarray
    street: np.ndarray
    suffix: np.ndarray
    home_type: np.ndarray
    bedrooms: np.ndarray
    bathrooms: np.ndarray
    living_area: np.ndarray
    latitude: np.ndarray
    longitude: np.ndarray
    price: np.ndarray
    status: np.ndarray
    days: np.ndarray
    last_change: np.ndarray

    @property
    def n(self) -> int:
        return len(self.zpid)


def _make_listings(rng: np.random.Generator, n: int, round_days: np.ndarray) -> Listings:
    candidates = rng.integers(10_000_000, 2_999_999_999, size=int(n * 1.1) + 10)
    _, first = np.unique(candidates, return_index=True)
    zpid = candidates[np.sort(first)][:n]
    n_zips = min(len(ZIP_AREAS), max(6, n // 200))  # 25-38 zips from 5,000 listings up
    zi = rng.integers(0, n_zips, size=n)
    areas = np.array([a[3:] for a in ZIP_AREAS], dtype=float)
    htype = rng.choice(len(HOME_TYPES), size=n, p=[0.55, 0.15, 0.12, 0.07, 0.04, 0.0, 0.07])
    small = np.isin(htype, [1, 6])
    beds = np.where(small, rng.integers(1, 4, size=n), rng.integers(2, 7, size=n))
    baths = np.clip(beds / 2 + rng.integers(0, 4, size=n) / 2 + 0.5, 1.0, 5.0)
    living = np.clip(beds * 550 + rng.integers(-300, 900, size=n), 500, 6000)
    price0 = np.clip(np.round(living * areas[zi, 2] * rng.uniform(0.75, 1.3, n), -3), 50_000, 3e6)
    initial = [_FOR_SALE, _PENDING, _SOLD, _OFF_MARKET]
    status0 = rng.choice(initial, size=n, p=[0.62, 0.1, 0.2, 0.08])
    price = np.repeat(price0.astype(np.int64)[:, None], ROUNDS, axis=1)
    status = np.repeat(status0[:, None], ROUNDS, axis=1)
    days = np.repeat(rng.integers(0, 180, size=n)[:, None], ROUNDS, axis=1)
    last_change = np.zeros(n, dtype=np.int64)
    for r in range(1, ROUNDS):
        price[:, r], status[:, r], days[:, r] = price[:, r - 1], status[:, r - 1], days[:, r - 1]
        for_sale = status[:, r - 1] == _FOR_SALE
        drop = for_sale & (rng.random(n) < 0.15)
        price[drop, r] = np.round(price[drop, r] * rng.uniform(0.9, 0.98, drop.sum()), -3)
        status[for_sale & ~drop & (rng.random(n) < 0.12), r] = _PENDING
        status[(status[:, r - 1] == _PENDING) & (rng.random(n) < 0.5), r] = _SOLD
        changed = (status[:, r] != status[:, r - 1]) | (price[:, r] != price[:, r - 1])
        days[changed, r] = days[changed, 0] + round_days[r]
        last_change[changed] = r
    lat = np.round(areas[zi, 0] + rng.normal(0, 0.02, n), 5)
    lon = np.round(areas[zi, 1] + rng.normal(0, 0.02, n), 5)
    return Listings(
        zpid=zpid, zip_index=zi, number=rng.integers(1, 9999, size=n),
        street=rng.integers(0, len(_STREET_NAMES), size=n),
        suffix=rng.integers(0, len(_SUFFIX_FULL), size=n), home_type=htype,
        bedrooms=beds.astype(np.int64), bathrooms=baths.astype(np.float64),
        living_area=living.astype(np.int64), latitude=lat, longitude=lon, price=price,
        status=status, days=days.astype(np.int64), last_change=last_change,
    )  # fmt: skip


def _addresses(lst: Listings, style: str, double_spaces: bool) -> np.ndarray:
    """Every listing's address in a miner's style (object array of str)."""
    upper = style.startswith("upper")
    full = style.endswith("full")
    names = pd.Series(_STREET_NAMES, dtype=object)
    suffixes = pd.Series([s if full else STREET_SUFFIXES[s] for s in _SUFFIX_FULL], dtype=object)
    cities = pd.Series([a[1] for a in ZIP_AREAS], dtype=object)
    if upper:
        names, suffixes, cities = names.str.upper(), suffixes.str.upper(), cities.str.upper()
    else:
        suffixes = suffixes.str.title()
    gap = "  " if double_spaces else " "
    zi = lst.zip_index
    text = (
        pd.Series(lst.number.astype(str), dtype=object) + gap
        + names.to_numpy()[lst.street] + " " + suffixes.to_numpy()[lst.suffix] + ", "
        + cities.to_numpy()[zi] + "," + gap + np.array([a[2] for a in ZIP_AREAS], object)[zi]
        + " " + np.array([a[0] for a in ZIP_AREAS], object)[zi]
    )  # fmt: skip
    if style == "lower_full":
        text = text.str.lower()
    return text.to_numpy(dtype=object)


def _coverage(rng: np.random.Generator, miners: list[Miner], n: int) -> np.ndarray:
    """Which miners report which listing (n × miners), honest majority built in."""
    pool_t = [m.index for m in miners if m.kind in ("honest", "skewed_clock")]
    pool_d = [m.index for m in miners if m.kind in ("noisy", "liar")]
    pool_s = [m.index for m in miners if m.kind == "sparse"]
    cov = np.zeros((n, len(miners)), dtype=bool)
    n_t = rng.integers(min(3, len(pool_t)), min(6, len(pool_t)) + 1, size=n)
    ranks = rng.random((n, len(pool_t))).argsort(axis=1).argsort(axis=1)
    cov[:, pool_t] = ranks < n_t[:, None]
    if pool_d:  # strictly fewer doubtful reporters than truthful non-sparse ones
        n_d = np.minimum(rng.integers(0, min(3, len(pool_d)) + 1, size=n), n_t - 1)
        ranks = rng.random((n, len(pool_d))).argsort(axis=1).argsort(axis=1)
        cov[:, pool_d] = ranks < n_d[:, None]
    if pool_s:
        cov[:, pool_s] = rng.random((n, len(pool_s))) < 0.35
    return cov


# ---------------------------------------------------------------------------------------
# Rows: one per (listing, miner, round) report, sorted so each file is a contiguous slice
# ---------------------------------------------------------------------------------------


@dataclass
class Rows:
    listing: np.ndarray
    miner: np.ndarray
    round: np.ndarray
    price: np.ndarray
    status: np.ndarray
    bedrooms: np.ndarray
    bathrooms: np.ndarray
    living_area: np.ndarray
    days: np.ndarray
    address: np.ndarray  # object array of str, in the miner's style
    latitude: np.ndarray
    longitude: np.ndarray
    scraped_ms: np.ndarray  # filled once files have server times


def _make_rows(
    rng: np.random.Generator, miners: list[Miner], lst: Listings, cov: np.ndarray
) -> tuple[Rows, np.ndarray]:
    n, m = cov.shape
    rep = rng.random((n, m, ROUNDS)) < 0.55
    none = ~rep.any(axis=2)
    li, mi = np.nonzero(none)
    rep[li, mi, rng.integers(0, ROUNDS, size=len(li))] = True
    latest = ROUNDS - 1 - np.argmax(rep[:, :, ::-1], axis=2)
    li, mi = np.nonzero(latest < lst.last_change[:, None])
    rep[li, mi, lst.last_change[li]] = True  # stale reporters re-report after the change
    rep &= cov[:, :, None]
    li, mi, ri = np.nonzero(rep)
    zi = lst.zip_index[li]
    status = lst.status[li, ri]
    share = np.array([mm.style["testnet_share"] for mm in miners])
    testnet = (rng.random((m, ROUNDS, len(ZIP_AREAS))) < share[:, None, None])[mi, ri, zi]
    job = np.where(testnet, -1, zi * 2 + (status == _SOLD))
    order = np.lexsort((rng.random(len(li)), job, ri, mi))
    li, mi, ri, job, status = li[order], mi[order], ri[order], job[order], status[order]
    rows = Rows(
        listing=li, miner=mi, round=ri, price=lst.price[li, ri].copy(), status=status,
        bedrooms=lst.bedrooms[li].copy(), bathrooms=lst.bathrooms[li].copy(),
        living_area=lst.living_area[li].copy(), days=lst.days[li, ri].copy(),
        address=np.empty(len(li), dtype=object), latitude=lst.latitude[li].copy(),
        longitude=lst.longitude[li].copy(), scraped_ms=np.zeros(len(li), dtype=np.int64),
    )  # fmt: skip
    addr_cache: dict[tuple[str, bool], np.ndarray] = {}
    kinds = np.array([mm.kind for mm in miners])[mi]
    for mm in miners:
        sel = mi == mm.index
        style = (mm.style["address"], mm.style["double_spaces"])
        if style not in addr_cache:
            addr_cache[style] = _addresses(lst, *style)
        rows.address[sel] = addr_cache[style][li[sel]]
        if mm.style["coordinate_digits"] == 7:  # extra digits that still round to truth
            rows.latitude[sel] += rng.uniform(-4e-6, 4e-6, sel.sum())
            rows.longitude[sel] += rng.uniform(-4e-6, 4e-6, sel.sum())
        if mm.kind == "liar":
            if mm.lie_field == "price":
                rows.price[sel] = np.round(rows.price[sel] * 1.1, -2)
            elif mm.lie_field == "home_status":
                rows.status[sel] = np.where(rows.status[sel] == _SOLD, _PENDING, _SOLD)
            else:
                rows.bedrooms[sel] += 1
    _add_noise(rng, rows, kinds == "noisy")
    return rows, job


def _add_noise(rng: np.random.Generator, rows: Rows, noisy: np.ndarray) -> None:
    def pick() -> np.ndarray:
        return np.nonzero(noisy & (rng.random(len(noisy)) < 0.04))[0]

    i = pick()
    rows.price[i] = np.round(rows.price[i] * rng.choice([0.93, 0.97, 1.04, 1.08], len(i)), -2)
    i = pick()
    rows.bedrooms[i] = np.where(rows.bedrooms[i] > 1, rows.bedrooms[i] - 1, 2)
    i = pick()
    rows.bathrooms[i] += 0.5
    i = pick()
    rows.living_area[i] += rng.integers(50, 300, len(i))
    i = pick()
    rows.days[i] += rng.integers(1, 6, len(i))
    for j in pick():  # a typo: drop the second letter of the street name
        text = rows.address[j]
        k = re.search(r"[A-Za-z]", text).start() + 1  # type: ignore[union-attr]
        rows.address[j] = text[:k] + text[k + 1 :]


# ---------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------


def _job_name(code: int) -> str:
    if code < 0:
        return "zillow_testnet_all"
    return f"zillow_premium_zip_{ZIP_AREAS[code // 2][0]}_{'sold' if code % 2 else 'forsale'}"


def _plan_files(
    rng: np.random.Generator, miners: list[Miner], rows: Rows, job: np.ndarray,
    round_start: np.ndarray,
) -> list[FileSpec]:  # fmt: skip
    specs: list[FileSpec] = []
    keys = np.stack([rows.miner, rows.round, job], axis=1)
    bounds = np.nonzero(np.any(keys[1:] != keys[:-1], axis=1))[0] + 1
    starts = np.concatenate([[0], bounds])
    stops = np.concatenate([bounds, [len(job)]])
    offsets = rng.integers(0, 18 * 3600, size=(len(miners), ROUNDS))
    clock: dict[tuple[int, int], int] = {}
    for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
        m, r, code = int(rows.miner[a]), int(rows.round[a]), int(job[a])
        pos = a
        while pos < b:
            size = int(rng.integers(50, 501))
            end = b if b - pos < size + 25 else pos + size
            t = clock.get((m, r), int(round_start[r] + offsets[m, r]))
            t += int(rng.integers(5, 90))
            clock[(m, r)] = t
            claimed = t - miners[m].name_lag_s + miners[m].clock_skew_s
            specs.append(FileSpec(m, _job_name(code), pos, end, t, claimed, r))
            pos = end
    for cc in (mm for mm in miners if mm.copies is not None):
        finals = [i for i, s in enumerate(specs) if s.miner == cc.copies and s.round == ROUNDS - 1]
        if not finals:
            continue
        for i in sorted(rng.choice(finals, size=(len(finals) + 1) // 2, replace=False).tolist()):
            src = specs[i]
            t = src.server + int(rng.integers(600, 6 * 3600))
            specs.append(
                FileSpec(cc.index, src.job_id, src.start, src.stop, t, t - cc.name_lag_s,
                         src.round, source=i)
            )  # fmt: skip
    _mark_special_files(rng, miners, specs)
    # scrape times: before the file's server time (copies keep the source's rows)
    for s in specs:
        if s.source is None:
            back = rng.integers(60_000, 6 * 3600 * 1000, size=s.rows)
            rows.scraped_ms[s.start : s.stop] = s.server * 1000 - back
    return specs


def _mark_special_files(rng: np.random.Generator, miners: list[Miner], specs: list[FileSpec]):
    originals = [i for i, s in enumerate(specs) if s.source is None]
    by_kind = {k: [i for i in originals if miners[specs[i].miner].kind == k] for k in MINER_KINDS}
    for i in rng.choice(originals, size=min(3, len(originals)), replace=False).tolist():
        s = specs[i]
        s.claimed_count = int(rng.choice([s.rows + 7, max(0, s.rows - 1), s.rows * 2]))
        s.notes.append("claimed_count_mismatch")
    for i in originals:
        mm = miners[specs[i].miner]
        if mm.style.get("zpid_float_every_other_file") and i % 2:
            specs[i].zpid_float = True
    # price all-null / a missing column: only miners whose votes the majority doesn't need
    sparse = by_kind["sparse"]
    if sparse:
        chosen = set(rng.choice(sparse, size=max(1, len(sparse) // 5), replace=False).tolist())
        for i in sorted(chosen | {sparse[0]}):
            specs[i].price_null = True
            specs[i].notes.append("price_all_null")
    doubtful = by_kind["noisy"] + by_kind["liar"] or sparse
    if doubtful:
        i = int(rng.choice(doubtful))
        specs[i].missing_column = "days_on_zillow"
        specs[i].notes.append("missing_column:days_on_zillow")
    if by_kind["honest"]:
        i = int(rng.choice(by_kind["honest"]))
        specs[i].extra_column = "lot_size"
        specs[i].notes.append("extra_column:lot_size")


@dataclass
class Network:
    seed: int
    miners: list[Miner]
    listings: Listings
    rows: Rows
    specs: list[FileSpec]
    round_start: np.ndarray
    keys: list[str]  # each spec's key, relative to the bucket root


def build_network(
    seed: int, listings: int, miners: int, threat: Callable[[Network], None] | None = None
) -> Network:
    """Generate the whole network in memory (no I/O); `threat` adds hotkeys, rows and files
    before keys are named (see `resi.simulation.scenarios`); None: the network as always."""
    rng = np.random.default_rng(seed)
    span_days = float(rng.uniform(3, 7))
    round_offsets = np.linspace(0, span_days, ROUNDS)
    round_start = _START + (round_offsets * 86400).astype(np.int64)
    crowd = _make_miners(rng, miners)
    lst = _make_listings(rng, listings, np.floor(round_offsets).astype(np.int64))
    cov = _coverage(rng, crowd, lst.n)
    rows, job = _make_rows(rng, crowd, lst, cov)
    specs = _plan_files(rng, crowd, rows, job, round_start)
    net = Network(seed, crowd, lst, rows, specs, round_start, [])
    if threat is not None:
        threat(net)
    crowd, rows, specs = net.miners, net.rows, net.specs
    keys: list[str] = []
    seen: set[str] = set()
    for spec in specs:
        hotkey = crowd[spec.miner].hotkey
        while spec.key(hotkey) in seen:  # two uploads named in the same second
            spec.claimed += 1
        keys.append(spec.key(hotkey))
        seen.add(keys[-1])
    net.keys = keys
    return net


_ZIPS = np.array([a[0] for a in ZIP_AREAS], dtype=object)
_LABELS = np.array([f"zip:{a[0]}" for a in ZIP_AREAS], dtype=object)
_CITIES = {
    "title": np.array([a[1] for a in ZIP_AREAS], dtype=object),
    "upper": np.array([a[1].upper() for a in ZIP_AREAS], dtype=object),
}
_STATES = {
    "upper": np.array([a[2] for a in ZIP_AREAS], dtype=object),
    "lower": np.array([a[2].lower() for a in ZIP_AREAS], dtype=object),
}


def _url(zpids: np.ndarray) -> np.ndarray:
    return np.array([f"https://www.zillow.com/homedetails/{z}_zpid/" for z in zpids], object)


def file_frame(net: Network, spec: FileSpec) -> pd.DataFrame:
    """The DataFrame a miner hands to `to_parquet` for one file."""
    if spec.source is not None:  # a copycat re-uploads the very same rows
        return file_frame(net, net.specs[spec.source])
    styled = spec.miner if spec.style_of is None else spec.style_of
    miner, rows, sl = net.miners[styled], net.rows, slice(spec.start, spec.stop)
    st = miner.style
    li = rows.listing[sl]
    zi = net.listings.zip_index[li]
    nulls = pd.Series([None] * spec.rows, dtype=object)  # all-null: Arrow type null

    def text(values: np.ndarray) -> pd.Series:  # pandas 2 (object) or pandas 3 (str) strings
        return pd.Series(values, dtype=object if st["pandas_strings"] == "object" else "str")

    def number(values: np.ndarray, style: str) -> np.ndarray:
        return values.astype(np.float64) if style == "float" else values

    unit, aware = st["datetime_unit"], st["datetime_tz"] == "utc"
    when = pd.Series(rows.scraped_ms[sl].astype("datetime64[ms]"))
    when = (when.dt.tz_localize("UTC") if aware else when).astype(
        f"datetime64[{unit}, UTC]" if aware else f"datetime64[{unit}]"
    )
    zpid_int = net.listings.zpid[li]
    if spec.zpid_float:
        zpid: Any = zpid_int.astype(np.float64)
    else:
        zpid = zpid_int if st["zpid"] == "int" else text(zpid_int.astype(str).astype(object))
    zips = _ZIPS[zi]
    url = text(_url(zpid_int))
    enums = st["enums"]
    columns: dict[str, Any] = {
        "uri": url,
        "datetime": when,
        "label": text(_LABELS[zi]),
        "zpid": zpid,
        "price": nulls if spec.price_null else number(rows.price[sl], st["price"]),
        "address": text(rows.address[sl]),
        "bedrooms": number(rows.bedrooms[sl], st["bedrooms"]),
        "bathrooms": rows.bathrooms[sl],
        "living_area": number(rows.living_area[sl], st["living_area"]),
        "home_type": text(np.array(HOME_TYPE_STYLES[enums], object)[net.listings.home_type[li]]),
        "home_status": text(np.array(HOME_STATUS_STYLES[enums], object)[rows.status[sl]]),
        "days_on_zillow": rows.days[sl],
        "url": url,
        "zip_code": zips.astype(np.int64) if st["zip_code"] == "int" else text(zips),
        "city": text(_CITIES[st["city_case"]][zi]),
        "state": text(_STATES[st["state_case"]][zi]),
        "latitude": np.round(rows.latitude[sl], st["coordinate_digits"]),
        "longitude": np.round(rows.longitude[sl], st["coordinate_digits"]),
    }
    if miner.kind == "sparse":
        columns.update(dict.fromkeys(_SPARSE_NULL, nulls))
    if spec.missing_column:
        del columns[spec.missing_column]
    if spec.extra_column:
        acres = np.random.default_rng(spec.start).uniform(0.05, 2, spec.rows)
        columns[spec.extra_column] = np.round(acres, 2)
    return pd.DataFrame(columns)


def truth_table(net: Network) -> pa.Table:
    """The final real values of every listing, canonical form (schema `TRUTH_SCHEMA`)."""
    lst = net.listings
    zi = lst.zip_index
    url = _url(lst.zpid)
    canonical = _addresses(lst, "upper_abbr", False)
    columns = {
        "zpid": lst.zpid.astype(str), "uri": url, "url": url, "price": lst.price[:, -1],
        "address": canonical, "bedrooms": lst.bedrooms, "bathrooms": lst.bathrooms,
        "living_area": lst.living_area,
        "home_type": np.array(HOME_TYPES, dtype=object)[lst.home_type],
        "home_status": np.array(HOME_STATUSES, dtype=object)[lst.status[:, -1]],
        "days_on_zillow": lst.days[:, -1],
        "zip_code": np.array([a[0] for a in ZIP_AREAS], dtype=object)[zi],
        "city": np.array([a[1].upper() for a in ZIP_AREAS], dtype=object)[zi],
        "state": np.array([a[2] for a in ZIP_AREAS], dtype=object)[zi],
        "latitude": lst.latitude, "longitude": lst.longitude,
    }  # fmt: skip
    return pa.table({k: pa.array(v, type=TRUTH_SCHEMA.field(k).type) for k, v in columns.items()})


def write_object(
    path: Path, frame: pd.DataFrame | None, mtime: int, raw: bytes | None = None
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if raw is not None:
        path.write_bytes(raw)
    else:
        assert frame is not None
        frame.to_parquet(path, index=False)
    os.utime(path, ns=(mtime * 1_000_000_000, mtime * 1_000_000_000))
