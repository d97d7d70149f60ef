"""Write a simulated network to disk: `write_network(out_dir, seed=, listings=, miners=,
bad=)` writes the bucket (see `resi.simulation.network` for what is in it), the truth and
`truth/miners.json`, and, with `bad=True`, the objects the loader must reject."""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from resi.simulation.bad_objects import write_bad_objects
from resi.simulation.network import (
    MINER_KINDS,
    RAW_HOME_STATUS_VARIANTS,
    RAW_HOME_TYPE_VARIANTS,
    ROUNDS,
    STREET_SUFFIXES,
    FileSpec,
    Network,
    build_network,
    file_frame,
    truth_table,
    write_object,
)
from resi.simulation.scenarios import SCENARIO_KINDS, apply_scenario

_WORKER_NET: Network | None = None


def _write_files(bucket: Path, indices: range, net: Network | None = None) -> None:
    net = net or _WORKER_NET
    assert net is not None
    for i in indices:
        spec = net.specs[i]
        write_object(bucket / net.keys[i], file_frame(net, spec), spec.server)


def write_network(
    out_dir: Path, *, seed: int, listings: int, miners: int, bad: bool, scenario: str | None = None
) -> str:
    """Write the bucket and the truth under `out_dir`; return a short human report.

    miners.json: {"seed", "listings", "rounds", "round_server_times" (ISO, UTC),
    "rows_written", "files_written", "kinds" (kind → description), "miners": [{"hotkey",
    "uid", "kind", "description", "style" (formatting choices), "lie_field" (liar),
    "copies_hotkey" (copycat), "clock_skew_hours" (skewed_clock), "name_lag_seconds",
    "files", "rows"}], "special_files": [{"key", "notes", "claimed_count", "actual_count"}],
    "bad_objects": [{"key", "expected_status" ("rejected"|"loaded"), "category", "detail"}],
    "raw_home_type_variants", "raw_home_status_variants", "street_suffixes"}.
    Keys are relative to out_dir/bucket.
    """
    began = time.perf_counter()
    out_dir = Path(out_dir)
    bucket, truth_dir = out_dir / "bucket", out_dir / "truth"
    threat = None if scenario is None else (lambda n: apply_scenario(n, scenario))
    net = build_network(seed, listings, miners, threat)
    written = list(zip(net.specs, net.keys, strict=True))
    workers = min(os.cpu_count() or 1, 8) if len(written) >= 1500 else 1
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        # Forked workers inherit the network; each file depends only on its spec, so the
        # bytes are the same whichever process writes them.
        global _WORKER_NET
        _WORKER_NET = net
        chunks = [range(i, len(written), workers) for i in range(workers)]
        ctx = multiprocessing.get_context("fork")
        try:
            with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
                list(pool.map(_write_files, [bucket] * workers, chunks))
        finally:
            _WORKER_NET = None
    else:
        _write_files(bucket, range(len(written)), net)
    truth_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(truth_table(net), truth_dir / "listings.parquet")
    bad_objects: list[dict[str, Any]] = []
    if bad:
        bad_objects = write_bad_objects(net, bucket, written)
    rows_written = sum(s.rows for s, _ in written)
    doc = _miners_doc(net, written, bad_objects, rows_written)
    doc["scenario"] = scenario or "ordinary"
    (truth_dir / "miners.json").write_text(json.dumps(doc, indent=2) + "\n")
    end = max(s.server for s, _ in written) * 1_000_000_000
    for path in truth_dir.iterdir():  # fixed mtimes for the truth too
        os.utime(path, ns=(end, end))
    seconds = time.perf_counter() - began
    kinds = pd.Series([m.kind for m in net.miners]).value_counts().sort_index()
    return (
        f"wrote {rows_written:,} rows in {len(written):,} files from {len(net.miners)} miners "
        f"({', '.join(f'{n} {k}' for k, n in kinds.items())}) covering {net.listings.n:,} "
        f"listings over {ROUNDS} rounds (scenario {scenario or 'ordinary'}), "
        f"plus {len(bad_objects)} bad objects, "
        f"in {seconds:.1f}s\n  bucket: {bucket}\n  truth:  {truth_dir}"
    )


def _miners_doc(
    net: Network, written: list[tuple[FileSpec, str]], bad: list[dict[str, Any]], rows: int
) -> dict[str, Any]:
    per_miner = pd.DataFrame([(s.miner, s.rows) for s, _ in written], columns=["m", "rows"])
    stats = per_miner.groupby("m")["rows"].agg(["count", "sum"])
    miners = []
    for m in net.miners:
        entry: dict[str, Any] = {
            "hotkey": m.hotkey, "uid": m.uid, "kind": m.kind,
            "description": {**MINER_KINDS, **SCENARIO_KINDS}[m.kind], "style": m.style,
            "name_lag_seconds": m.name_lag_s,
            "files": int(stats["count"].get(m.index, 0)),
            "rows": int(stats["sum"].get(m.index, 0)),
        }  # fmt: skip
        if m.lie_field:
            entry["lie_field"] = m.lie_field
        if m.copies is not None:
            entry["copies_hotkey"] = net.miners[m.copies].hotkey
        if m.clock_skew_s:
            entry["clock_skew_hours"] = round(m.clock_skew_s / 3600, 2)
        miners.append(entry)
    special = [
        {"key": key, "notes": s.notes, "claimed_count": s.claimed_count, "actual_count": s.rows}
        for s, key in written
        if s.notes
    ]
    iso = [time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(t))) for t in net.round_start]
    return {
        "seed": net.seed,
        "listings": net.listings.n,
        "rounds": ROUNDS,
        "round_server_times": iso,
        "rows_written": rows,
        "files_written": len(written),
        "kinds": MINER_KINDS,
        "miners": miners,
        "special_files": special,
        "bad_objects": bad,
        "raw_home_type_variants": RAW_HOME_TYPE_VARIANTS,
        "raw_home_status_variants": RAW_HOME_STATUS_VARIANTS,
        "street_suffixes": STREET_SUFFIXES,
    }
