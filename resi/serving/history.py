"""Listing history "as of" a time, from the two places that keep it:

- `unified_listing_as_of`: what the database *published* (the snapshot of
  `marts.unified_listings`, `snapshots.unified_listings_snapshot`), by publication time;
- `listing_history`: what was *observed true* (`marts.listing_history`), by the miners'
  observation time.

Plain dicts and lists out; the connection is the caller's (psycopg 3).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

SNAPSHOT = sql.Identifier("snapshots", "unified_listings_snapshot")
HISTORY = sql.Identifier("marts", "listing_history")

Row = dict[str, Any]


def _rows(cursor: psycopg.Cursor) -> list[Row]:
    names = [column.name for column in cursor.description or []]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _require_aware(as_of: datetime) -> None:
    if as_of.tzinfo is None:
        raise ValueError(f"as_of must carry a time zone (got the naive {as_of.isoformat()})")


def listing_history(
    conn: psycopg.Connection, zpid: str, as_of: datetime | None = None
) -> list[Row]:
    """The observed intervals of every field of listing `zpid`, by field then valid_from.

    With `as_of`, only the interval each field was in at that observation time (one per
    field that had a value by then): the listing as the miners saw it then.
    """
    query = sql.SQL(
        "select zpid, field_name, field_value, valid_from, valid_to, is_current,"
        " miner_hotkeys, miner_count, report_count, first_observed_at, last_observed_at,"
        " opening_miner_count, opening_voter_count"
        " from {history} where zpid = %(zpid)s {when}"
        " order by field_name, valid_from"
    )
    when = sql.SQL("")
    if as_of is not None:
        _require_aware(as_of)
        when = sql.SQL("and valid_from <= %(as_of)s and (valid_to is null or %(as_of)s < valid_to)")
    cursor = conn.execute(query.format(history=HISTORY, when=when), {"zpid": zpid, "as_of": as_of})
    return _rows(cursor)


def observed_listing_as_of(conn: psycopg.Connection, zpid: str, as_of: datetime) -> dict[str, str]:
    """{field_name: field_value} of listing `zpid` as observed true at `as_of` (empty when
    nothing had been observed by then)."""
    return {row["field_name"]: row["field_value"] for row in listing_history(conn, zpid, as_of)}


def unified_listing_as_of(conn: psycopg.Connection, zpid: str, as_of: datetime) -> Row | None:
    """The `unified_listings` row of `zpid` the database published at `as_of` (with the
    snapshot's dbt_valid_from / dbt_valid_to), or None if it published none then."""
    _require_aware(as_of)
    cursor = conn.execute(
        sql.SQL(
            "select * from {snapshot} where zpid = %(zpid)s"
            " and dbt_valid_from <= %(as_of)s"
            " and (dbt_valid_to is null or %(as_of)s < dbt_valid_to)"
        ).format(snapshot=SNAPSHOT),
        {"zpid": zpid, "as_of": as_of},
    )
    rows = _rows(cursor)
    return rows[0] if rows else None
