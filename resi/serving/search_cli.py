"""`resi search`: the API's listing search from the terminal (same query module, same
filters, same order): a table that fits 100 columns, or --json / --csv."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import datetime
from decimal import Decimal
from typing import Any

from resi.database import connection as database
from resi.serving import queries

TABLE_COLUMNS = (  # (column, header, width): 100 columns with the separators
    ("zpid", "zpid", 10),
    ("price", "price", 10),
    ("home_status", "status", 10),
    ("zip_code", "zip", 5),
    ("city", "city", 13),
    ("state", "st", 2),
    ("consensus_score", "cons", 5),
    ("attesting_miners_count", "miners", 6),
    ("attestation_count", "atts", 5),
    ("last_updated_at", "updated (UTC)", 16),
)
CSV_COLUMNS = (
    *queries.LISTING_COLUMNS,
    "attestation_count",
    "attesting_miners_count",
    "latest_submission_at",
    "attesting_miners",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--status", action="append", help="home status (repeat or a,b)")
    parser.add_argument("--min-price", type=int, help="lowest price, dollars")
    parser.add_argument("--max-price", type=int, help="highest price, dollars")
    parser.add_argument("--zip", action="append", help="5-digit zip code (repeat or a,b)")
    parser.add_argument("--city", help="city (case-insensitive)")
    parser.add_argument("--state", help="2-letter state code")
    parser.add_argument("--bbox", help="south,west,north,east")
    parser.add_argument("--near", help="lat,lon (with --radius-km)")
    parser.add_argument("--radius-km", type=float, help="radius around --near, km")
    parser.add_argument("--min-consensus", type=float, help="0 to 1")
    parser.add_argument("--min-miners", type=int, help="minimum independent miners")
    parser.add_argument("--updated-since", type=datetime.fromisoformat, help="ISO time")
    parser.add_argument(
        "--sort", choices=queries.SORTS, default="updated", help="order by (default updated)"
    )
    parser.add_argument(
        "--order", choices=queries.ORDERS, default="desc", help="asc or desc (default desc)"
    )
    parser.add_argument("--limit", type=int, default=50, help="rows to show (default 50)")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON")
    out.add_argument("--csv", action="store_true", help="print CSV")


def filters_from_args(args: argparse.Namespace) -> queries.SearchFilters:
    return queries.SearchFilters(
        statuses=queries.parse_csv(args.status),
        min_price=args.min_price,
        max_price=args.max_price,
        zip_codes=queries.parse_csv(args.zip),
        city=args.city,
        state=args.state,
        bbox=queries.parse_floats("bbox", args.bbox, 4) if args.bbox else None,  # type: ignore[arg-type]
        near=queries.parse_floats("near", args.near, 2) if args.near else None,  # type: ignore[arg-type]
        radius_km=args.radius_km,
        min_consensus=args.min_consensus,
        min_miners=args.min_miners,
        updated_since=args.updated_since,
        sort=args.sort,
        order=args.order,
    )


def _cell(value: Any, width: int) -> str:
    if value is None:
        text = ""
    elif isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M")
    elif isinstance(value, Decimal):
        text = f"{value:.3f}" if value < 10 else f"{value:,.0f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def format_table(listings: list[dict[str, Any]]) -> str:
    lines = ["  ".join(h.ljust(w) for _, h, w in TABLE_COLUMNS).rstrip()]
    lines.append("  ".join("-" * w for _, _, w in TABLE_COLUMNS))
    for row in listings:
        lines.append("  ".join(_cell(row.get(c), w).ljust(w) for c, _, w in TABLE_COLUMNS).rstrip())
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    if args.limit < 1:
        print("resi search: --limit must be 1 or more", file=sys.stderr)
        return 2
    try:
        filters = filters_from_args(args).validate()
        database.use_database()
        with database.connect(autocommit=True) as conn:
            result = queries.search_all(conn, filters, args.limit)
    except queries.InvalidParameter as exc:
        print(f"resi search: invalid {exc.parameter}: {exc.message}", file=sys.stderr)
        return 2
    listings, total = result["listings"], result["total"]
    cut = total > len(listings)
    if args.json:
        payload = {"total": total, "count": len(listings), "cut": cut, "listings": listings}
        print(json.dumps(queries.jsonable(payload), indent=2))
    elif args.csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in queries.jsonable(listings):
            writer.writerow({**row, "attesting_miners": " ".join(row["attesting_miners"])})
    else:
        print(format_table(listings))
    if cut:
        print(
            f"showing {len(listings):,} of {total:,} matching listings (raise --limit for more)",
            file=sys.stderr,
        )
    elif not (args.json or args.csv):
        print(f"{total:,} matching listings", file=sys.stderr)
    return 0
