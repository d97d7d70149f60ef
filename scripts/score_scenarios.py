"""Every threat scenario, end to end, scored: the README's scenario table.

    PGHOST=127.0.0.1 PGUSER=postgres .venv/bin/python scripts/score_scenarios.py \
        [--seed 46] [--listings 1500] [--miners 10] [--only NAME ...] [--work DIR]

For each scenario: `resi simulate` (10 ordinary miners plus the threat), a fresh database
(resi_score_<scenario>_<seed>, dropped first), `resi load`, `resi dbt seed` and `resi dbt run`, then
scripts/score.py --json. Prints one Markdown table: the seed's plain majority and the
project's method side by side (listings right, price right, silently wrong), the method's
calibration at confidence >= 0.9 and the share of colluding/copying hotkeys the alerts
name. Needs a PostgreSQL server (PGHOST set): each scenario gets its own database.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg

from resi.simulation.scenarios import SCENARIOS

ROOT = Path(__file__).resolve().parents[1]
RESI = [sys.executable, "-m", "resi.cli"]


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"failed: {' '.join(args)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def _scenario(name: str, args: argparse.Namespace) -> dict:
    out = args.work / f"{name}-{args.seed}"
    env = dict(os.environ, PGDATABASE=f"resi_score_{name.replace('-', '_')}_{args.seed}")
    if not (out / "truth" / "miners.json").exists():
        size = ["--listings", str(args.listings), "--miners", str(args.miners)]
        _run(
            [*RESI, "simulate", str(out), "--seed", str(args.seed), *size, "--scenario", name], env
        )
    with psycopg.connect(dbname="postgres", autocommit=True) as conn:
        conn.execute(f"drop database if exists {env['PGDATABASE']} with (force)")
        conn.execute(f"create database {env['PGDATABASE']}")
    _run([*RESI, "load", str(out / "bucket")], env)
    _run([*RESI, "dbt", "seed", "--quiet"], env)
    _run([*RESI, "dbt", "run", "--quiet"], env)
    score = [sys.executable, "scripts/score.py", str(out), "--min", "0", "--json"]
    figures = json.loads(_run(score, env))
    with psycopg.connect(dbname="postgres", autocommit=True) as conn:
        conn.execute(f"drop database if exists {env['PGDATABASE']} with (force)")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=46)
    parser.add_argument("--listings", type=int, default=1500)
    parser.add_argument("--miners", type=int, default=10)
    parser.add_argument("--only", nargs="*", default=list(SCENARIOS))
    parser.add_argument("--work", type=Path, default=Path("/tmp/resi-scenarios"))
    args = parser.parse_args()
    if not os.environ.get("PGHOST"):
        raise SystemExit("set PGHOST (and PGUSER): each scenario gets its own database")
    print(f"seed {args.seed}, {args.listings:,} listings, {args.miners} ordinary miners\n")
    print(
        "| scenario | listings right (plain / method) | price right (plain / method) "
        "| silently wrong (plain / method) | method right at conf >= 0.9 | alerts name |"
    )
    print("|---|---|---|---|---|---|")
    for name in args.only:
        f = _scenario(name, args)
        p, m, a = f["plain"], f["method"], f["alerts"]
        top = m["calibration"]["0.9-1.0"]
        named = f"{a['threat_named']}/{a['threat_hotkeys']}" + (
            f" (+{a['others_named']} others)" if a["others_named"] else ""
        )
        cal = "" if top["right"] is None else f"{top['right']:.4f} of {top['values']:,}"
        print(
            f"| {name} | {p['listings_right']:.3f} / **{m['listings_right']:.3f}** "
            f"| {p['price_right']:.3f} / **{m['price_right']:.3f}** "
            f"| {p['silently_wrong']:.3f} / **{m['silently_wrong']:.3f}** | {cal} | {named} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
