"""The `resi` command: the project's one Python entry point."""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from loader import schema
from resi import PROJECT_ROOT, __version__
from resi.database import connection as database
from resi.database import embedded
from resi.watching.commands import add_commands as add_watch_commands


def _db(args: argparse.Namespace) -> int:
    if args.action == "start":
        server = embedded.start()
        print(f"embedded PostgreSQL running (pid {server.pid}): {server.url()}")
    elif args.action == "stop":
        print("stopped" if embedded.stop() else "not running")
    elif args.action == "status":
        if not database.is_embedded():
            print(f"using {database.describe(database.libpq_env())} (PGHOST is set)")
            return 0
        server = embedded.status()
        print(f"running (pid {server.pid}): {server.url()}" if server else "not running")
        return 0 if server else 3
    elif args.action == "url":
        env = database.libpq_env()
        if database.is_embedded():
            print(embedded.start().url())
        else:
            auth = env["PGUSER"] + (":" + env["PGPASSWORD"] if "PGPASSWORD" in env else "")
            print(f"postgresql://{auth}@{env['PGHOST']}:{env['PGPORT']}/{env['PGDATABASE']}")
    elif args.action == "env":
        for name, value in database.libpq_env().items():
            print(f"export {name}={shlex.quote(value)}")
    elif args.action == "migrate":
        with database.connect() as conn:
            print(f"raw schema at version {schema.migrate(conn)}")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from resi.simulation import writer

    report = writer.write_network(
        Path(args.out_dir),
        seed=args.seed,
        listings=args.listings,
        miners=args.miners,
        bad=args.bad,
    )
    print(report)
    return 0


def _load(args: argparse.Namespace) -> int:
    from loader import load

    return load.main(args)


def dbt_command(dbt_args: list[str]) -> list[str]:
    dbt = Path(sys.executable).with_name("dbt")
    return [str(dbt) if dbt.exists() else (shutil.which("dbt") or "dbt"), *dbt_args]


def run_dbt(dbt_args: list[str]) -> int:
    """Run dbt in the project against the database in use (raw schema migrated first)."""
    with database.connect() as conn:
        schema.migrate(conn)
    env = os.environ.copy()
    env.setdefault("DBT_PROFILES_DIR", str(PROJECT_ROOT))
    env.setdefault("DBT_PROJECT_DIR", str(PROJECT_ROOT))
    return subprocess.call(dbt_command(dbt_args), env=env, cwd=PROJECT_ROOT)


def _dbt(args: argparse.Namespace) -> int:
    return run_dbt(args.dbt_args)


def _alerts(args: argparse.Namespace) -> int:
    from resi.reporting import alerts

    return alerts.main(args)


def _summary(args: argparse.Namespace) -> int:
    from resi.reporting import summary

    return summary.main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="resi", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="manage the embedded PostgreSQL and the raw schema")
    db.add_argument("action", choices=["start", "stop", "status", "url", "env", "migrate"])
    db.set_defaults(func=_db)

    sim = sub.add_parser("simulate", help="write a simulated miner network in the S3 layout")
    sim.add_argument("out_dir")
    sim.add_argument("--seed", type=int, default=46)
    sim.add_argument("--listings", type=int, default=5000)
    sim.add_argument("--miners", type=int, default=20)
    sim.add_argument("--bad", action="store_true", help="add the objects the loader must reject")
    sim.set_defaults(func=_simulate)

    load = sub.add_parser("load", help="load miner Parquet files into the raw schema")
    load.add_argument("source", help="s3://bucket[/prefix] or a local folder in the same layout")
    load.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"))
    load.add_argument("--strict", action="store_true", help="exit non-zero when a file is rejected")
    load.add_argument("--json", action="store_true", help="print the summary as JSON")
    load.add_argument("--workers", type=int, default=1, help="files loaded in parallel (default 1)")
    load.set_defaults(func=_load)

    dbt = sub.add_parser("dbt", help="run dbt against the database in use")
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER)
    dbt.set_defaults(func=_dbt)

    alerts = sub.add_parser("alerts", help="print the open quality alerts (marts.quality_alerts)")
    alerts.add_argument("--json", action="store_true", help="print the alerts as JSON")
    alerts.add_argument(
        "--fail-on",
        choices=["error", "warn"],
        help="exit 1 when an alert at this level (or above) is open, for schedulers",
    )
    alerts.set_defaults(func=_alerts)

    summ = sub.add_parser("summary", help="print what the pipeline holds")
    summ.set_defaults(func=_summary)

    add_watch_commands(sub)  # resi watch, resi rebuild
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:
        # the reader went away (`resi alerts | head`): not an error of ours; keep Python
        # from complaining again when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
