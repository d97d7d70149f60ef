"""The closing lines of `resi load`: what the run did, or (`--dry-run`) what it would do.
Rejects are not listed again here: the progress display printed each one as it happened."""

from __future__ import annotations

from typing import TextIO

from loader.outcome import Plan, Summary

WHY = "select key, reject_reason from raw.source_files where status = 'rejected';"


def print_summary(summary: Summary, stream: TextIO) -> None:
    d = summary.as_dict()
    print(
        f"{summary.source}: {d['objects_seen']} objects seen, {d['files_loaded']} loaded "
        f"({d['rows_loaded']:,} rows, {d['rows_per_second']:,} rows/s, "
        f"{d['mb_per_second']} MB/s), {d['files_rejected']} rejected, "
        f"{d['objects_skipped']} not listing files, "
        f"{d['files_skipped']} already loaded, {d['fetch_errors']} fetch errors "
        f"in {d['seconds']:.1f} s (run {d['load_run_id']})",
        file=stream,
    )
    new = summary.files_loaded + summary.files_rejected + summary.objects_skipped
    if new == 0 and not summary.fetch_errors:
        print("nothing new to load", file=stream)
    if summary.files_rejected:
        print(f"  why each file was rejected: {WHY}", file=stream)


def print_plan(plan: Plan, stream: TextIO) -> None:
    for uri, size in plan.to_load:
        print(f"{size:>14,}  {uri}", file=stream)
    print(
        f"{plan.source}: would load {len(plan.to_load):,} files, {plan.bytes_to_load:,} bytes "
        f"({plan.bytes_to_load / 1e6:,.1f} MB); {plan.not_listing_files:,} objects are not "
        f"listing files, {plan.already_recorded:,} already recorded, of "
        f"{plan.objects_seen:,} listed (dry run: nothing loaded or recorded)",
        file=stream,
    )
