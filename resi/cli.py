"""The `resi` command: the project's one Python entry point.

Each command group registers its parser in its own `add_*` function and dispatches to the
module that does the work; this file stays a table of contents.
"""

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
from resi.database import embedded, roles
from resi.database.urls import libpq_url

# --- resi db ---------------------------------------------------------------------------


def _db_status() -> int:
    """0 when the server answers `select 1`; 3 when the embedded one is not running; 2
    (DatabaseUnreachable, printed by main) when a PGHOST server does not answer."""
    if database.is_embedded() and embedded.status() is None:
        print("embedded PostgreSQL not running (`resi db start`)")
        return 3
    database.ping()
    print(f"{database.describe(database.libpq_env())}: answering")
    return 0


def _db(args: argparse.Namespace) -> int:
    if args.action == "start":
        server = embedded.start()
        print(f"embedded PostgreSQL running (pid {server.pid}): {server.url()}")
    elif args.action == "stop":
        print("stopped" if embedded.stop() else "not running")
    elif args.action == "status":
        return _db_status()
    elif args.action == "url":
        print(libpq_url(database.libpq_env(), show_password=args.show_password))
    elif args.action == "env":
        for name, value in database.libpq_env().items():
            print(f"export {name}={shlex.quote(value)}")
    elif args.action == "migrate":
        with database.connect() as conn:
            print(f"raw schema at version {schema.migrate(conn)}")
    elif args.action == "roles":
        with database.connect(autocommit=True) as conn:
            print("\n".join(roles.create_roles(conn)))
    return 0


def add_db(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="manage the embedded PostgreSQL and the raw schema")
    db.add_argument(
        "action",
        choices=["start", "stop", "status", "url", "env", "migrate", "roles"],
        help="start/stop the embedded server; status (does it answer?); url (a connection "
        "URI); env (shell exports of PG*); migrate (bring the raw schema up to date); roles "
        "(create the loader, transform and reader roles)",
    )
    db.add_argument(
        "--show-password",
        action="store_true",
        help="with `url`: print PGPASSWORD (percent-encoded) instead of ***",
    )
    db.set_defaults(func=_db)


# --- resi simulate ---------------------------------------------------------------------


def _simulate(args: argparse.Namespace) -> int:
    from resi.simulation import writer

    report = writer.write_network(
        Path(args.out_dir),
        seed=args.seed,
        listings=args.listings,
        miners=args.miners,
        bad=args.bad,
        scenario=args.scenario,
    )
    print(report)
    return 0


def add_simulate(sub: argparse._SubParsersAction) -> None:
    sim = sub.add_parser("simulate", help="write a simulated miner network in the S3 layout")
    sim.add_argument("out_dir", help="folder to write (bucket/ and truth/ go inside)")
    sim.add_argument("--seed", type=int, default=46, help="random seed (default 46)")
    sim.add_argument("--listings", type=int, default=5000, help="listings (default 5000)")
    sim.add_argument("--miners", type=int, default=20, help="miners (default 20)")
    sim.add_argument("--bad", action="store_true", help="add the objects the loader must reject")
    sim.add_argument(
        "--scenario",
        help="add a threat: ordinary, listing-changes, reuploads, copycats, "
        "repacked-copies, colluding-third, colluding-majority, colluding-60",
    )
    sim.set_defaults(func=_simulate)


# --- resi load -------------------------------------------------------------------------


def _load(args: argparse.Namespace) -> int:
    from loader import command

    roles.use_role(roles.LOADER)
    return command.main(args)


def add_load(sub: argparse._SubParsersAction) -> None:
    load = sub.add_parser("load", help="load miner Parquet files into the raw schema")
    load.add_argument("source", help="s3://bucket[/prefix] or a local folder in the same layout")
    load.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL"),
        help="an S3-compatible endpoint (default: AWS, or $AWS_ENDPOINT_URL)",
    )
    load.add_argument("--profile", help="the AWS profile to read the bucket with")
    load.add_argument(
        "--no-sign-request",
        action="store_true",
        help="send anonymous requests (a public bucket; no credentials needed)",
    )
    load.add_argument(
        "--hotkey",
        action="append",
        metavar="HK",
        help="load only this miner's files (repeat for several)",
    )
    load.add_argument(
        "--since", metavar="WHEN", help="only objects uploaded at or after this ISO date/time (UTC)"
    )
    load.add_argument(
        "--until", metavar="WHEN", help="only objects uploaded before this ISO date/time (UTC)"
    )
    load.add_argument(
        "--dry-run",
        action="store_true",
        help="list what would load (count and bytes); load and record nothing",
    )
    load.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when the source has rejected files on record (this run or earlier)",
    )
    load.add_argument("--json", action="store_true", help="print the summary as JSON")
    load.add_argument("--workers", type=int, default=1, help="files loaded in parallel (default 1)")
    load.set_defaults(func=_load)


# --- resi dbt --------------------------------------------------------------------------


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
    if roles.TRANSFORM.configured:
        env.update(roles.role_env(roles.TRANSFORM))
    return subprocess.call(dbt_command(dbt_args), env=env, cwd=PROJECT_ROOT)


def _dbt(args: argparse.Namespace) -> int:
    return run_dbt(args.dbt_args)


def add_dbt(sub: argparse._SubParsersAction) -> None:
    dbt = sub.add_parser("dbt", help="run dbt against the database in use")
    dbt.add_argument("dbt_args", nargs=argparse.REMAINDER, help="dbt's own arguments")
    dbt.set_defaults(func=_dbt)


# --- resi alerts, resi summary ---------------------------------------------------------


def _alerts(args: argparse.Namespace) -> int:
    from resi.reporting import alerts

    return alerts.main(args)


def _summary(args: argparse.Namespace) -> int:
    from resi.reporting import summary

    return summary.main(args)


def add_reporting(sub: argparse._SubParsersAction) -> None:
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


# --- the command -----------------------------------------------------------------------


def add_watching(sub: argparse._SubParsersAction) -> None:
    from resi.watching.commands import add_commands

    add_commands(sub)  # resi watch, resi rebuild


def add_serving(sub: argparse._SubParsersAction) -> None:
    from resi.serving import commands as serving

    serving.register(sub)


COMMAND_GROUPS = (
    add_db,
    add_simulate,
    add_load,
    add_dbt,
    add_reporting,
    add_serving,
    add_watching,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="resi", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in COMMAND_GROUPS:
        add(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except database.DatabaseUnreachable as exc:
        print(f"resi {args.command}: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (`resi alerts | head`): not an error of ours; keep Python
        # from complaining again when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
