"""`resi load SOURCE`: the command around the loader (options in, lines and exit status out).

Exit status: 0 when the run finished (rejects included; the summary counts them), 1 with
`--strict` when the source has rejected files on record (from this run or an earlier one)
or when some object could not be fetched (it is left for the next run), 2 when the
database or the source cannot be reached or an option is wrong.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from loader.allocator import use_a_frugal_allocator
from loader.load import Loader, Options
from loader.paths import parse_source
from loader.report import print_plan, print_summary
from loader.retries import Fatal
from loader.selection import Selection, parse_time

log = logging.getLogger("resi.load")


def options_from(args: argparse.Namespace) -> Options:
    """Loader options from the parsed command line. Raises ValueError on a bad time."""
    selection = Selection(
        hotkeys=tuple(args.hotkey or ()),
        since=parse_time(args.since) if args.since else None,
        until=parse_time(args.until) if args.until else None,
    )
    return Options(
        endpoint_url=args.endpoint_url,
        profile=args.profile,
        unsigned=args.no_sign_request,
        workers=args.workers or 1,
        selection=selection,
    )


def _strict_failure(summary) -> str | None:
    if not summary.rejects_on_record:
        return None
    earlier = summary.rejects_on_record - summary.files_rejected
    note = f" ({earlier} recorded by earlier runs)" if earlier else ""
    return f"--strict: {summary.rejects_on_record} files rejected{note}"


def main(args: argparse.Namespace) -> int:
    use_a_frugal_allocator()
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stderr)
    log.setLevel(logging.INFO)
    try:
        source = parse_source(args.source)
        options = options_from(args)
    except ValueError as exc:
        print(f"resi load: {exc}", file=sys.stderr)
        return 2
    loader = None
    try:
        loader = Loader(source, options)
        if args.dry_run:
            plan = loader.plan()
            if args.json:
                print(json.dumps(plan.as_dict()))
            else:
                print_plan(plan, sys.stdout)
            return 0
        summary = loader.run()
    except Fatal as exc:
        print(f"resi load: {exc}", file=sys.stderr)
        if loader is not None and args.json and not args.dry_run:
            print(json.dumps(loader.summary.as_dict(), default=str))
        return 2
    except KeyboardInterrupt:
        print(
            "resi load: interrupted; files not committed will load on the next run", file=sys.stderr
        )
        return 130
    if args.json:
        print(json.dumps(summary.as_dict(), default=str))
    print_summary(summary, sys.stderr if args.json else sys.stdout)
    if summary.fetch_errors:
        return 1
    failure = _strict_failure(summary) if args.strict else None
    if failure:
        print(f"resi load: {failure}", file=sys.stderr)
        return 1
    return 0
