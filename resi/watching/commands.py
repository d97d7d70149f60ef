"""The `resi watch` and `resi rebuild` subcommands: their options, and what they run."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys


def _rebuild_time(text: str) -> dt.time | None:
    if text.lower() in ("off", "never", "none"):
        return None
    try:
        return dt.datetime.strptime(text, "%H:%M").time()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HH:MM (UTC) or 'off', got {text!r}") from None


def add_commands(sub) -> None:
    """Register `watch` and `rebuild` on the `resi` subparsers."""
    watch = sub.add_parser(
        "watch", help="keep the database current: load new files, build, report alerts"
    )
    watch.add_argument("source", help="s3://bucket[/prefix] or a local folder")
    watch.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL"),
        help="S3-compatible endpoint (default: AWS_ENDPOINT_URL)",
    )
    watch.add_argument(
        "--queue-url", help="SQS queue receiving the bucket's event notifications (else: polling)"
    )
    watch.add_argument(
        "--interval", type=float, default=60.0, help="polling: seconds between listings (60)"
    )
    watch.add_argument(
        "--visibility-timeout",
        type=int,
        help="seconds a received message stays hidden, extended while its file loads "
        "(default: the queue's own)",
    )
    watch.add_argument(
        "--rebuild-at",
        type=_rebuild_time,
        default=dt.time(3, 0),
        help="daily full consensus rebuild, HH:MM UTC, or 'off' (default 03:00)",
    )
    watch.add_argument("--no-build", action="store_true", help="load only; never run dbt")
    watch.add_argument(
        "--select", nargs="+", help="dbt --select for the incremental build (default: everything)"
    )
    watch.set_defaults(func=watch_main)

    rebuild = sub.add_parser(
        "rebuild", help="the full consensus rebuild now (dbt build --full-refresh of the marts)"
    )
    rebuild.add_argument(
        "--all", action="store_true", help="rebuild the whole project, seeds and staging included"
    )
    rebuild.set_defaults(func=rebuild_main)


def watch_main(args: argparse.Namespace) -> int:
    from loader.load import Fatal
    from loader.paths import parse_source
    from resi.watching import state, watcher

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr
    )
    logging.getLogger("botocore").setLevel(logging.WARNING)
    try:
        source = parse_source(args.source)
    except ValueError as exc:
        print(f"resi watch: {exc}", file=sys.stderr)
        return 2
    if args.queue_url and source.kind != "s3":
        print("resi watch: --queue-url needs an s3:// source", file=sys.stderr)
        return 2
    options = watcher.Options(
        source=source,
        endpoint_url=args.endpoint_url,
        queue_url=args.queue_url,
        interval=args.interval,
        visibility_timeout=args.visibility_timeout,
        rebuild_at=args.rebuild_at,
        build=not args.no_build,
        select=args.select,
    )
    try:
        return watcher.watch(options)
    except (state.AlreadyWatched, Fatal) as exc:
        print(f"resi watch: {exc}", file=sys.stderr)
        return 2


def rebuild_main(args: argparse.Namespace) -> int:
    from resi.watching import building

    dbt_args = building.REBUILD_ALL if args.all else building.REBUILD_CONSENSUS
    print(f"dbt {' '.join(dbt_args)}", file=sys.stderr)
    return building.run_build(list(dbt_args), quiet=False).returncode
