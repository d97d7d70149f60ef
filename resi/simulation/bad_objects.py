"""The objects `resi simulate --bad` adds: what the loader must reject, and one it must load.

Each entry returned (and recorded in truth/miners.json under "bad_objects") is
``{"key", "expected_status", "category", "detail"}`` with key relative to the bucket root:

- category ``unreadable_file`` (valid key, content is not a readable Parquet file): an empty
  0-byte object, a text file, the first half of a real file, a real file whose footer
  length was overwritten;
- category ``bad_key`` (the key does not fit ``data/hotkey=/job_id=/data_{date}_{time}_{n}
  .parquet``): no job folder, not a .parquet name, an unparsable name, an impossible date.
  Their content is valid Parquet holding zpids that exist nowhere else (9xxxxxxxxx), so a
  loader that wrongly accepts them is easy to spot;
- category ``hostile_hotkey`` with expected_status ``loaded``: a valid file under the folder
  ``hotkey=x'; DROP TABLE raw.source_files; --``. Its rows are the first 10 rows of an
  honest miner's final-round file, so they are true, current values (extra correct votes).
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

from resi.simulation.network import ROUNDS, FileSpec, Network, file_frame, write_object

HOSTILE_HOTKEY = "x'; DROP TABLE raw.source_files; --"


def write_bad_objects(
    net: Network, bucket: Path, written: list[tuple[FileSpec, str]]
) -> list[dict[str, Any]]:
    final_honest = [
        (s, k)
        for s, k in written
        if net.miners[s.miner].kind == "honest"
        and s.source is None
        and s.round == ROUNDS - 1
        and not s.notes
    ]
    donor, donor_key = final_honest[0] if final_honest else written[0]
    hotkey = net.miners[donor.miner].hotkey
    job = donor.job_id
    real = (bucket / donor_key).read_bytes()
    frame = file_frame(net, donor).head(10).reset_index(drop=True)
    fake = frame.copy()
    fake["zpid"] = [str(9_000_000_000 + i) for i in range(len(fake))]
    fake_bytes = io.BytesIO()
    fake.to_parquet(fake_bytes, index=False)
    corrupt = bytearray(real)
    corrupt[-8:-4] = b"\xff\xff\xff\x7f"  # footer length far beyond the file size
    t = max(s.server for s, _ in written) + 3600

    def name(offset: int, count: int) -> str:
        return time.strftime("data_%Y%m%d_%H%M%S", time.gmtime(t + offset)) + f"_{count}.parquet"

    base = f"data/hotkey={hotkey}/job_id={job}"
    cases: list[tuple[str, bytes, str, str]] = [
        (f"{base}/{name(1, 120)}", b"", "unreadable_file", "empty object (0 bytes)"),
        (f"{base}/{name(2, 10)}", b"miner notes: scrape failed, retry later\n",
         "unreadable_file", "text file named .parquet"),
        (f"{base}/{name(3, donor.rows)}", real[: len(real) // 2], "unreadable_file",
         "truncated parquet (first half of a real file)"),
        (f"{base}/{name(4, donor.rows)}", bytes(corrupt), "unreadable_file",
         "corrupt footer (footer length overwritten)"),
        (f"data/hotkey={hotkey}/data_20250101_000000_10.parquet", fake_bytes.getvalue(),
         "bad_key", "no job_id folder"),
        (f"{base}/notes.txt", b"todo: rotate proxies\n", "bad_key", "not a .parquet object"),
        (f"{base}/data_2025_bad.parquet", fake_bytes.getvalue(), "bad_key",
         "unparsable file name"),
        (f"{base}/data_20251341_250000_10.parquet", fake_bytes.getvalue(), "bad_key",
         "impossible timestamp in file name (month 13, hour 25)"),
    ]  # fmt: skip
    out: list[dict[str, Any]] = []
    for i, (key, content, category, detail) in enumerate(cases):
        write_object(bucket / key, None, t + i, raw=content)
        out.append(
            {"key": key, "expected_status": "rejected", "category": category, "detail": detail}
        )
    key = f"data/hotkey={HOSTILE_HOTKEY}/job_id=zillow_testnet_all/{name(20, len(frame))}"
    write_object(bucket / key, frame, t + 20)
    out.append(
        {
            "key": key,
            "expected_status": "loaded",
            "category": "hostile_hotkey",
            "detail": f"valid file; the hotkey is just text (10 true rows copied from {donor_key})",
        }
    )
    return out
