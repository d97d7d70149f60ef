"""Score the consensus against the simulator's ground truth.

    .venv/bin/python scripts/score.py OUT_DIR [--min 0.99] [--show 5] [--rule method|plain]

OUT_DIR is what `resi simulate OUT_DIR [--scenario NAME]` wrote; the truth is
OUT_DIR/truth/listings.parquet (one row per zpid, canonical form) and the hotkeys a threat
added are in OUT_DIR/truth/miners.json. Uses the database in use (PG* variables, else the
embedded server). Prints, for the project's method (the published values: is_consensus
and confidence_score of marts.listing_consensus, i.e. unified_listings) and for the seed's
plain majority (is_plain_majority, plain_confidence_score):

- listings right: share of truth listings whose every truth field is right
- price right: share whose price is right
- silently wrong: share of listings with a wrong field published at confidence >= 0.7
- calibration: of the published values at confidence >= 0.9 (and other bands), how many
  are right
- alerts: which colluding, copying or re-packing hotkeys marts.quality_alerts names
  (copy_group, coordinated_group), and how many other hotkeys it names

Exits 1 when the method's share of fully right listings is below --min.
`--json` prints the figures as one JSON object (for the README's scenario table).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq

from resi.database import connection as database

# numeric fields compared with a tolerance; everything else compared exactly as text
TOLERANCE = {"bathrooms": 1e-9, "latitude": 5e-6, "longitude": 5e-6}
INTEGER_FIELDS = ("price", "bedrooms", "living_area", "days_on_zillow")
SILENT_CONFIDENCE = 0.7
BANDS = ((0.9, 1.01), (0.7, 0.9), (0.5, 0.7), (0.0, 0.5))
THREAT_KINDS = ("colluder", "copycat", "repacker")
GROUP_ALERTS = ("copy_group", "coordinated_group")


def _same(field: str, truth: object, found: object) -> bool:
    if found is None or truth is None:
        return found is None and truth is None
    if field in TOLERANCE:
        return math.isclose(float(truth), float(found), rel_tol=0, abs_tol=TOLERANCE[field])
    if field in INTEGER_FIELDS:
        return int(float(str(truth))) == int(float(str(found)))
    return str(truth) == str(found)


def _published(rule: str) -> dict[str, dict[str, tuple[str, float]]]:
    """zpid -> field -> (value, confidence) as the rule publishes it."""
    flag, confidence = (
        ("is_consensus", "confidence_score")
        if rule == "method"
        else ("is_plain_majority", "plain_confidence_score")
    )
    out: dict[str, dict[str, tuple[str, float]]] = defaultdict(dict)
    with database.connect() as conn:
        rows = conn.execute(
            f"select zpid, field_name, field_value, {confidence}"
            f" from marts.listing_consensus where {flag}"
        ).fetchall()
    for zpid, field, value, conf in rows:
        out[zpid][field] = (value, float(conf))
    return out


def _alerts(out_dir: Path) -> dict[str, object]:
    doc = json.loads((out_dir / "truth" / "miners.json").read_text())
    threats = {m["hotkey"] for m in doc["miners"] if m["kind"] in THREAT_KINDS}
    everyone = {m["hotkey"] for m in doc["miners"]}
    with database.connect() as conn:
        rows = conn.execute(
            "select subject, details from marts.quality_alerts where kind = any(%s)",
            [list(GROUP_ALERTS)],
        ).fetchall()
    # the subject is the accused hotkey (a copier, a group member); the originals a
    # copy_group alert names in its details are victims, not accused
    named = {subject for subject, _ in rows} & everyone
    return {
        "threat_hotkeys": len(threats),
        "threat_named": len(named & threats),
        "recall": (len(named & threats) / len(threats)) if threats else None,
        "others_named": len(named - threats),
    }


def score(out_dir: Path, rule: str = "method", show: int = 5) -> dict[str, object]:
    truth = pq.read_table(out_dir / "truth" / "listings.parquet").to_pylist()
    fields = [name for name in truth[0] if name != "zpid"] if truth else []
    published = _published(rule)
    fully_right = price_right = silently_wrong = 0
    right = dict.fromkeys(fields, 0)
    bands = {band: [0, 0] for band in BANDS}
    examples: list[str] = []
    for listing in truth:
        found = published.get(listing["zpid"], {})
        wrong = []
        silent = False
        for f in fields:
            value, conf = found.get(f, (None, 0.0))
            ok = _same(f, listing[f], value)
            right[f] += ok
            if value is not None:
                band = next(b for b in BANDS if b[0] <= conf < b[1])
                bands[band][0] += 1
                bands[band][1] += ok
            if not ok:
                wrong.append(f)
                silent = silent or (value is not None and conf >= SILENT_CONFIDENCE)
        fully_right += not wrong
        price_right += "price" not in wrong
        silently_wrong += silent
        if wrong and len(examples) < show:
            detail = ", ".join(
                f"{f}: {found.get(f, (None,))[0]!r} != {listing[f]!r}" for f in wrong
            )
            examples.append(f"  zpid {listing['zpid']}: {detail}")
    n = len(truth) or 1
    return {
        "rule": rule,
        "listings": len(truth),
        "listings_right": fully_right / n,
        "price_right": price_right / n,
        "silently_wrong": silently_wrong / n,
        "per_field": {f: right[f] / n for f in fields},
        "calibration": {
            f"{lo:.1f}-{min(hi, 1):.1f}": {
                "values": total,
                "right": (ok / total) if total else None,
            }
            for (lo, hi), (total, ok) in bands.items()
        },
        "examples": examples,
    }


def _print(result: dict[str, object]) -> None:
    print(f"rule                   {result['rule']}")
    print(f"truth listings         {result['listings']:>8,}")
    print(f"listings right         {result['listings_right']:>9.2%}  (every truth field)")
    print(f"price right            {result['price_right']:>9.2%}")
    print(f"silently wrong         {result['silently_wrong']:>9.2%}  (a wrong field at >= 0.7)")
    print("calibration            published values by confidence band: share right")
    for band, figures in result["calibration"].items():  # type: ignore[union-attr]
        share = "" if figures["right"] is None else f"{figures['right']:.2%}"
        print(f"  {band:<20} {share:>9}  ({figures['values']:,} values)")
    for f, share in result["per_field"].items():  # type: ignore[union-attr]
        print(f"  {f:<20} {share:>9.2%}")
    if result["examples"]:
        print("wrong, for example:")
        print("\n".join(result["examples"]))  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="the folder `resi simulate` wrote")
    parser.add_argument("--min", type=float, default=0.99, help="required share fully right")
    parser.add_argument("--show", type=int, default=5, help="wrong examples to print")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    method = score(args.out_dir, "method", args.show)
    plain = score(args.out_dir, "plain", 0)
    alerts = _alerts(args.out_dir)
    if args.json:
        for result in (method, plain):
            result.pop("examples")
            result.pop("per_field")
        print(json.dumps({"method": method, "plain": plain, "alerts": alerts}))
    else:
        _print(method)
        print(
            f"plain majority         listings right {plain['listings_right']:.2%}, price right "
            f"{plain['price_right']:.2%}, silently wrong {plain['silently_wrong']:.2%}"
        )
        print(
            f"alerts                 name {alerts['threat_named']} of "
            f"{alerts['threat_hotkeys']} colluding/copying hotkeys "
            f"(and {alerts['others_named']} others)"
        )
    share = float(method["listings_right"])  # type: ignore[arg-type]
    if share < args.min:
        print(f"FAIL: {share:.2%} of listings fully right, below --min {args.min:.2%}")
        return 1
    if not args.json:
        print(f"OK: {share:.2%} >= {args.min:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
