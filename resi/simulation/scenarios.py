"""Threat scenarios on top of the simulated network, selectable by name.

`apply_scenario(net, name)` adds to a built `Network` (before its keys are named) the
hotkeys, rows and files of one threat, and moves the truth where the threat changes the
listings. Every scenario draws from its own random stream (seeded by the network's seed
and the scenario's name), so the ordinary network underneath is byte for byte the one
`resi simulate` writes without `--scenario`.

The scenarios (see `SCENARIOS`):

- ordinary: the network as it is.
- listing-changes: two days after the last round, 15% of listings change (a price cut, or
  FOR_SALE -> PENDING -> SOLD); 40% of the miners re-scrape the changed listings they
  cover, the others never do.
- reuploads: every miner re-uploads a fifth of its first-round rows in new files two days
  after the last round (new names and upload times, the old scrape `datetime`), as the
  miners' uploader does when its offset shifts; listings changed since keep their new truth.
- copycats: six extra hotkeys each re-upload every file of one honest miner, byte for byte.
- repacked-copies: ten extra hotkeys of one operator each re-pack one honest miner's
  rows into files of their own (other sizes, row order, names and upload times; the
  scrape `datetime` and values unchanged).
- colluding-third / colluding-majority / colluding-60: 5, 10 or 15 extra hotkeys of one
  operator (a third, a half, 60% of the network's hotkeys with the 10 ordinary miners)
  that scrape on their own (own coverage, own scrape times) and push the same false price
  on 30% of the listings.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from resi.simulation.network import (
    _BASE58,
    _FOR_SALE,
    _PENDING,
    _SOLD,
    ROUNDS,
    FileSpec,
    Miner,
    Network,
    Rows,
    _add_noise,
    _addresses,
    _job_name,
)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    colluders: int = 0
    copycats: int = 0
    repackers: int = 0
    listing_changes: bool = False
    reuploads: bool = False


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("ordinary", "the network as it is"),
        Scenario(
            "listing-changes",
            "15% of listings change a day after the last round; 40% of miners re-scrape them",
            listing_changes=True,
        ),
        Scenario(
            "reuploads",
            "every miner re-uploads a fifth of its first-round rows (old scrape datetime)",
            reuploads=True,
        ),
        Scenario("copycats", "6 extra hotkeys re-upload an honest miner's files", copycats=6),
        Scenario(
            "repacked-copies", "10 extra hotkeys re-pack one honest miner's rows", repackers=10
        ),
        Scenario(
            "colluding-third",
            "5 extra hotkeys push one false price on 30% of listings",
            colluders=5,
        ),  # fmt: skip
        Scenario(
            "colluding-majority",
            "10 extra hotkeys (half) push one false price on 30%",
            colluders=10,
        ),  # fmt: skip
        Scenario(
            "colluding-60", "15 extra hotkeys (60%) push one false price on 30%", colluders=15
        ),
    )
}

#: Kinds of the hotkeys a scenario adds (descriptions for miners.json).
SCENARIO_KINDS: dict[str, str] = {
    "colluder": "scrapes on its own, but pushes its operator's false price on 30% of listings",
    "repacker": "re-packs another miner's rows into files of its own (see copies)",
}

COLLUDED_SHARE = 0.3
COLLUDER_COVERAGE = 0.7
_DAY = 86400


def _rng(net: Network, name: str) -> np.random.Generator:
    return np.random.default_rng([net.seed, zlib.crc32(name.encode())])


def _new_miner(rng: np.random.Generator, net: Network, kind: str, like: Miner) -> Miner:
    hotkey = "5" + "".join(_BASE58[rng.integers(0, 58, size=47)])
    used = {m.uid for m in net.miners}
    uid = int(next(u for u in rng.permutation(4096) if int(u) not in used))
    style = dict(like.style)
    style.pop("zpid_float_every_other_file", None)
    miner = Miner(len(net.miners), hotkey, uid, kind, style, name_lag_s=int(rng.integers(1, 240)))
    net.miners.append(miner)
    return miner


def _take(rows: Rows, idx: np.ndarray) -> Rows:
    return Rows(**{k: getattr(rows, k)[idx].copy() for k in Rows.__dataclass_fields__})


def _concat(a: Rows, b: Rows) -> Rows:
    return Rows(
        **{k: np.concatenate([getattr(a, k), getattr(b, k)]) for k in Rows.__dataclass_fields__}
    )


def _append_files(
    rng: np.random.Generator, net: Network, new: Rows, start: int, style_of: np.ndarray | None,
    keep_scrape_times: bool,
) -> None:  # fmt: skip
    """Append `new` rows (uploader in new.miner) as files of 50-500 rows per uploader and
    job, uploaded from `start` (epoch s) on, each uploader at its own pace."""
    status = new.status
    zi = net.listings.zip_index[new.listing]
    job = zi * 2 + (status == _SOLD)
    style = new.miner if style_of is None else style_of
    order = np.lexsort((rng.random(len(job)), job, new.miner))
    new = _take(new, order)
    job, style = job[order], style[order]
    base = len(net.rows.listing)
    net.rows = _concat(net.rows, new)
    keys = np.stack([new.miner, job], axis=1)
    bounds = np.nonzero(np.any(keys[1:] != keys[:-1], axis=1))[0] + 1 if len(job) else []
    starts = np.concatenate([[0], bounds]).astype(int) if len(job) else np.array([], int)
    stops = np.concatenate([bounds, [len(job)]]).astype(int) if len(job) else np.array([], int)
    clock: dict[int, int] = {}
    for a, b in zip(starts.tolist(), stops.tolist(), strict=True):
        m = int(new.miner[a])
        pos = a
        while pos < b:
            size = int(rng.integers(50, 501))
            end = b if b - pos < size + 25 else pos + size
            t = clock.get(m, start + int(rng.integers(0, 12 * 3600))) + int(rng.integers(5, 90))
            clock[m] = t
            spec = FileSpec(
                m, _job_name(int(job[a])), base + pos, base + end, t,
                t - net.miners[m].name_lag_s, ROUNDS - 1,
            )  # fmt: skip
            spec.style_of = int(style[a])
            if not keep_scrape_times:
                back = rng.integers(60_000, 6 * 3600 * 1000, size=end - pos)
                net.rows.scraped_ms[base + pos : base + end] = t * 1000 - back
            net.specs.append(spec)
            pos = end


def _last_rows(net: Network, miner: int) -> dict[int, int]:
    """Per listing, the index of the miner's latest original row (by round)."""
    sel = np.nonzero(net.rows.miner == miner)[0]
    latest: dict[int, int] = {}
    for i in sel[np.argsort(net.rows.round[sel], kind="stable")].tolist():
        latest[int(net.rows.listing[i])] = i
    return latest


def _listing_changes(rng: np.random.Generator, net: Network, day: int) -> None:
    lst = net.listings
    n = lst.n
    changed = np.nonzero(rng.random(n) < 0.15)[0]
    last = ROUNDS - 1
    span = int(net.round_start[-1] - net.round_start[0])  # days since the first round
    for li in changed.tolist():
        status = lst.status[li, last]
        if status == _FOR_SALE and rng.random() < 0.5:
            lst.status[li, last] = _PENDING
        elif status == _PENDING:
            lst.status[li, last] = _SOLD
        else:  # a price cut
            lst.price[li, last] = int(round(lst.price[li, last] * rng.uniform(0.9, 0.97), -3))
        lst.days[li, last] = lst.days[li, 0] + (span + day) // _DAY
    originals = [m for m in net.miners if m.kind not in ("copycat",) and m.copies is None]
    count = round(0.4 * len(originals))
    rescrapers = [originals[i] for i in sorted(rng.choice(len(originals), count, replace=False))]
    picks: list[int] = []
    for m in rescrapers:
        latest = _last_rows(net, m.index)
        picks += [latest[li] for li in changed.tolist() if li in latest]
    new = _take(net.rows, np.array(sorted(picks), dtype=int))
    li = new.listing
    new.round[:] = last
    new.price[:] = lst.price[li, last]
    new.status[:] = lst.status[li, last]
    new.days[:] = lst.days[li, last]
    kinds = np.array([net.miners[m].kind for m in new.miner])
    for m in rescrapers:  # liars keep lying, noisy miners keep their noise
        sel = new.miner == m.index
        if m.lie_field == "price":
            new.price[sel] = np.round(new.price[sel] * 1.1, -2)
        elif m.lie_field == "home_status":
            new.status[sel] = np.where(new.status[sel] == _SOLD, _PENDING, _SOLD)
    _add_noise(rng, new, kinds == "noisy")
    start = int(net.round_start[-1]) + day
    _append_files(rng, net, new, start, None, keep_scrape_times=False)


def _reuploads(rng: np.random.Generator, net: Network, day: int) -> None:
    originals = np.nonzero(
        (net.rows.round == 0) & np.array([net.miners[m].copies is None for m in net.rows.miner])
    )[0]
    picks = originals[rng.random(len(originals)) < 0.2]
    new = _take(net.rows, np.sort(picks))
    _append_files(rng, net, new, int(net.round_start[-1]) + day, None, keep_scrape_times=True)


def _honest(net: Network) -> list[Miner]:
    return [m for m in net.miners if m.kind == "honest"]


def _copycats(rng: np.random.Generator, net: Network, count: int) -> None:
    honest = _honest(net)
    for _ in range(count):
        victim = honest[int(rng.integers(0, len(honest)))]
        cc = _new_miner(rng, net, "copycat", victim)
        cc.copies = victim.index
        sources = [i for i, s in enumerate(net.specs) if s.miner == victim.index]
        for i in sources:
            src = net.specs[i]
            t = src.server + int(rng.integers(600, 12 * 3600))
            net.specs.append(
                FileSpec(cc.index, src.job_id, src.start, src.stop, t, t - cc.name_lag_s,
                         src.round, source=i)
            )  # fmt: skip


def _repackers(rng: np.random.Generator, net: Network, count: int) -> None:
    honest = _honest(net)
    victim = honest[int(rng.integers(0, len(honest)))]
    sel = np.nonzero(net.rows.miner == victim.index)[0]
    for _ in range(count):
        rp = _new_miner(rng, net, "repacker", victim)
        rp.copies = victim.index
        new = _take(net.rows, sel)
        new.miner[:] = rp.index
        style_of = np.full(len(sel), victim.index)
        start = int(net.round_start[-1]) + int(rng.integers(600, _DAY))
        _append_files(rng, net, new, start, style_of, keep_scrape_times=True)


def _colluders(rng: np.random.Generator, net: Network, count: int) -> None:
    lst = net.listings
    n = lst.n
    last = ROUNDS - 1
    colluded = rng.random(n) < COLLUDED_SHARE
    false_price = np.round(lst.price[:, last] * 0.85, -3).astype(np.int64)
    ordinary = [m for m in net.miners if m.kind == "honest"]
    parts: list[Rows] = []
    for j in range(count):
        like = ordinary[j % len(ordinary)]
        cl = _new_miner(rng, net, "colluder", like)
        li = np.nonzero(rng.random(n) < COLLUDER_COVERAGE)[0]
        k = len(li)
        address = _addresses(lst, cl.style["address"], cl.style["double_spaces"])[li]
        parts.append(
            Rows(
                listing=li,
                miner=np.full(k, cl.index),
                round=np.full(k, last),
                price=np.where(colluded[li], false_price[li], lst.price[li, last]),
                status=lst.status[li, last].copy(),
                bedrooms=lst.bedrooms[li].copy(),
                bathrooms=lst.bathrooms[li].copy(),
                living_area=lst.living_area[li].copy(),
                days=lst.days[li, last].copy(),
                address=address.astype(object),
                latitude=lst.latitude[li].copy(),
                longitude=lst.longitude[li].copy(),
                scraped_ms=np.zeros(k, dtype=np.int64),
            )  # fmt: skip
        )
    new = parts[0]
    for part in parts[1:]:
        new = _concat(new, part)
    start = int(net.round_start[-1])
    _append_files(rng, net, new, start, None, keep_scrape_times=False)


def apply_scenario(net: Network, name: str) -> None:
    """Add scenario `name`'s threat to `net` (in place); 'ordinary' changes nothing."""
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")
    scenario = SCENARIOS[name]
    rng = _rng(net, name)
    day = 2 * _DAY + int(rng.integers(0, 6 * 3600))
    if scenario.listing_changes:
        _listing_changes(rng, net, day)
    if scenario.reuploads:
        _reuploads(rng, net, day)
    if scenario.copycats:
        _copycats(rng, net, scenario.copycats)
    if scenario.repackers:
        _repackers(rng, net, scenario.repackers)
    if scenario.colluders:
        _colluders(rng, net, scenario.colluders)
