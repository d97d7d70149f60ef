"""The one query module: every read of the marts that the API, `resi search` and the
dashboards make. Parameterized SQL only (psycopg `sql` composition and bound values);
input is checked here, so every caller rejects the same bad input with the same message.

The seed design's "real-time query" is `search()`: filters on unified_listings (using its
indexes on home_status, price, (zip_code, last_updated_at), (latitude, longitude),
last_updated_at; a search by zip codes reads each zip code in the sort order), keyset
pagination with a total count, and per returned row the attestation summary, read from
miner_attestations by its zpid index (a lateral look-up per row, never an aggregate over
every attestation).
"""

from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

HOME_STATUSES = ("FOR_SALE", "PENDING", "SOLD", "FOR_RENT", "OFF_MARKET")
SORTS = ("updated", "price", "consensus")
ORDERS = ("desc", "asc")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE_LAT = 111.045
_ZIP = re.compile(r"^\d{5}$")
_STATE = re.compile(r"^[A-Za-z]{2}$")

# The listing columns a search returns (unified_listings). Extend here.
LISTING_COLUMNS = (
    "zpid",
    "address",
    "city",
    "state",
    "zip_code",
    "price",
    "bedrooms",
    "bathrooms",
    "living_area",
    "home_type",
    "home_status",
    "latitude",
    "longitude",
    "consensus_score",
    "unique_miners_count",
    "total_submissions",
    "first_seen_at",
    "last_updated_at",
    "data_freshness_hours",
)
# "Independent miners" behind a listing. Today: distinct miners that reported it. When the
# marts count independent sources (miners not copying one another), point this at that column.
INDEPENDENT_MINERS_COLUMN = "unique_miners_count"

# sort name -> (expression over unified_listings, SQL type of the cursor value, NULL stand-ins
# for desc and asc that keep NULLs last in both directions)
_SORT_KEYS: dict[str, tuple[str, str, tuple[str, str] | None]] = {
    "updated": ("last_updated_at", "timestamptz", None),
    "price": ("price", "bigint", ("-1", "9223372036854775807")),
    "consensus": ("consensus_score", "numeric", ("-1", "2")),
}


class InvalidParameter(ValueError):
    """Bad input: names the parameter and says what is wrong."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


class NotFound(LookupError):
    """The thing asked for does not exist."""


class NotBuilt(LookupError):
    """The mart a question needs does not exist on this database (yet)."""


@dataclass
class SearchFilters:
    """A listing search. Every field is optional; `validate()` checks them all."""

    statuses: list[str] = field(default_factory=list)
    min_price: int | None = None
    max_price: int | None = None
    zip_codes: list[str] = field(default_factory=list)
    city: str | None = None
    state: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # south, west, north, east
    near: tuple[float, float] | None = None  # latitude, longitude
    radius_km: float | None = None
    min_consensus: float | None = None
    min_miners: int | None = None
    updated_since: datetime | None = None
    sort: str = "updated"
    order: str = "desc"
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None

    def validate(self) -> SearchFilters:  # noqa: C901 (one flat check per filter)
        self.statuses = [s.strip().upper() for s in self.statuses if s.strip()]
        for status in self.statuses:
            if status not in HOME_STATUSES:
                raise InvalidParameter(
                    "status", f"unknown status {status!r} (one of {', '.join(HOME_STATUSES)})"
                )
        for name in ("min_price", "max_price"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise InvalidParameter(name, "must be 0 or more")
        if (
            self.min_price is not None
            and self.max_price is not None
            and self.min_price > self.max_price
        ):
            raise InvalidParameter("min_price", "is above max_price")
        # each once: the by-zip search reads each zip code's listings in turn
        self.zip_codes = list(dict.fromkeys(z.strip() for z in self.zip_codes if z.strip()))
        for zip_code in self.zip_codes:
            if not _ZIP.match(zip_code):
                raise InvalidParameter("zip", f"{zip_code!r} is not a 5-digit zip code")
        if self.state is not None:
            if not _STATE.match(self.state):
                raise InvalidParameter("state", f"{self.state!r} is not a 2-letter state code")
            self.state = self.state.upper()
        if self.bbox is not None:
            south, west, north, east = self.bbox
            _check_lat("bbox", south)
            _check_lat("bbox", north)
            _check_lon("bbox", west)
            _check_lon("bbox", east)
            if south > north or west > east:
                raise InvalidParameter("bbox", "must be south,west,north,east with south<=north")
        if (self.near is None) != (self.radius_km is None):
            raise InvalidParameter("radius_km", "near and radius_km go together")
        if self.near is not None and self.radius_km is not None:
            _check_lat("near", self.near[0])
            _check_lon("near", self.near[1])
            if not 0 < self.radius_km <= 1000:
                raise InvalidParameter("radius_km", "must be above 0 and at most 1000")
        if self.min_consensus is not None and not 0 <= self.min_consensus <= 1:
            raise InvalidParameter("min_consensus", "must be between 0 and 1")
        if self.min_miners is not None and self.min_miners < 1:
            raise InvalidParameter("min_miners", "must be 1 or more")
        if self.updated_since is not None and self.updated_since.tzinfo is None:
            self.updated_since = self.updated_since.replace(tzinfo=UTC)
        if self.sort not in SORTS:
            raise InvalidParameter("sort", f"one of {', '.join(SORTS)}")
        if self.order not in ORDERS:
            raise InvalidParameter("order", "asc or desc")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidParameter("limit", f"must be between 1 and {MAX_LIMIT}")
        if self.cursor is not None:
            _decode_cursor(self.cursor)
        return self


def _check_lat(name: str, value: float) -> None:
    if not (math.isfinite(value) and -90 <= value <= 90):
        raise InvalidParameter(name, f"latitude {value} is not between -90 and 90")


def _check_lon(name: str, value: float) -> None:
    if not (math.isfinite(value) and -180 <= value <= 180):
        raise InvalidParameter(name, f"longitude {value} is not between -180 and 180")


def parse_floats(parameter: str, text: str, count: int) -> tuple[float, ...]:
    """'1.5,2,3' -> (1.5, 2.0, 3.0), exactly `count` numbers, else InvalidParameter."""
    parts = [p.strip() for p in text.split(",")]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != count or not all(math.isfinite(v) for v in values):
        raise InvalidParameter(parameter, f"expected {count} comma-separated numbers")
    return values


def parse_csv(values: list[str] | None) -> list[str]:
    """Repeated and comma-separated values alike: ['a,b', 'c'] -> ['a', 'b', 'c']."""
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


# --- cursors ---------------------------------------------------------------------------


def _encode_cursor(sort: str, order: str, value: Any, zpid: str) -> str:
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    raw = json.dumps([sort, order, text, zpid]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, str, str, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        sort, order, value, zpid = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not all(isinstance(x, str) for x in (sort, order, value, zpid)):
            raise ValueError
        return sort, order, value, zpid
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise InvalidParameter("cursor", "not a cursor this API returned") from exc


# --- search ----------------------------------------------------------------------------


def _where(f: SearchFilters) -> tuple[list[sql.Composable], list[Any]]:  # noqa: C901 (one clause per filter)
    conds: list[sql.Composable] = []
    params: list[Any] = []

    def add(condition: str, *values: Any) -> None:
        conds.append(sql.SQL(condition))
        params.extend(values)

    if f.statuses:
        add("home_status = any(%s)", f.statuses)
    if f.min_price is not None:
        add("price >= %s", f.min_price)
    if f.max_price is not None:
        add("price <= %s", f.max_price)
    if f.zip_codes:
        add("zip_code = any(%s)", f.zip_codes)
    if f.city:
        add("lower(city) = lower(%s)", f.city)
    if f.state:
        add("state = %s", f.state)
    if f.bbox is not None:
        south, west, north, east = f.bbox
        add("latitude between %s and %s", Decimal(str(south)), Decimal(str(north)))
        add("longitude between %s and %s", Decimal(str(west)), Decimal(str(east)))
    if f.near is not None and f.radius_km is not None:
        lat, lon = f.near
        dlat = f.radius_km / KM_PER_DEGREE_LAT
        cos_lat = max(math.cos(math.radians(lat)), 1e-6)
        dlon = min(180.0, f.radius_km / (KM_PER_DEGREE_LAT * cos_lat))
        # a box first (the (latitude, longitude) index), then the great-circle distance
        add("latitude between %s and %s", Decimal(str(lat - dlat)), Decimal(str(lat + dlat)))
        add("longitude between %s and %s", Decimal(str(lon - dlon)), Decimal(str(lon + dlon)))
        add(
            "2 * %s * asin(sqrt(power(sin(radians(latitude::float8 - %s) / 2), 2)"
            " + cos(radians(%s)) * cos(radians(latitude::float8))"
            " * power(sin(radians(longitude::float8 - %s) / 2), 2))) <= %s",
            EARTH_RADIUS_KM,
            lat,
            lat,
            lon,
            f.radius_km,
        )
    if f.min_consensus is not None:
        add("consensus_score >= %s", Decimal(str(f.min_consensus)))
    if f.min_miners is not None:
        add(f"{INDEPENDENT_MINERS_COLUMN} >= %s", f.min_miners)
    if f.updated_since is not None:
        add("last_updated_at >= %s", f.updated_since)
    return conds, params


def _sort_expression(f: SearchFilters) -> tuple[sql.Composable, str]:
    column, cast, null_standins = _SORT_KEYS[f.sort]
    if null_standins is None:
        return sql.Identifier(column), cast
    standin = null_standins[0] if f.order == "desc" else null_standins[1]
    return sql.SQL("coalesce({}, {})").format(sql.Identifier(column), sql.SQL(standin)), cast


def search_sql(f: SearchFilters) -> tuple[sql.Composed, list[Any], sql.Composed, list[Any]]:
    """(page query, its params, count query, its params) for validated filters."""
    conds, params = _where(f)
    count_where = sql.SQL(" and ").join(conds) if conds else sql.SQL("true")
    count_query = sql.SQL("select count(*) from marts.unified_listings where {}").format(
        count_where
    )
    count_params = list(params)

    key, cast = _sort_expression(f)
    # a search by zip codes reads each zip code's matches in the sort order (by update:
    # from the (zip_code, last_updated_at) index, stopping at the page's size) and merges
    # them, rather than reading every listing of those zip codes to keep a page of them
    by_zip = bool(f.zip_codes)
    page_conds, page_params = _where(replace(f, zip_codes=[])) if by_zip else (conds, params)
    page_conds, page_params = list(page_conds), list(page_params)
    if f.cursor is not None:
        sort, order, value, zpid = _decode_cursor(f.cursor)
        if (sort, order) != (f.sort, f.order):
            raise InvalidParameter("cursor", "was made for another sort order")
        op = "<" if f.order == "desc" else ">"
        page_conds.append(
            sql.SQL("({key}, zpid) {op} (%s::{cast}, %s)").format(
                key=key, op=sql.SQL(op), cast=sql.SQL(cast)
            )
        )
        page_params += [value, zpid]
    if by_zip:
        page_conds.append(sql.SQL("zip_code = searched.zip_code"))
    direction = sql.SQL(f.order)
    page_where = sql.SQL(" and ").join(page_conds) if page_conds else sql.SQL("true")
    matches = sql.SQL(
        """
            select *, {key} as sort_key
            from marts.unified_listings
            where {where}
            order by {key} {direction}, zpid {direction}
            limit %s
        """
    ).format(key=key, where=page_where, direction=direction)
    page_params.append(f.limit + 1)
    if by_zip:
        matches = sql.SQL(
            """
            select listings.*
            from unnest(%s::text[]) as searched (zip_code)
            cross join lateral ({matches}) as listings
            order by listings.sort_key {direction}, listings.zpid {direction}
            limit %s
            """
        ).format(matches=matches, direction=direction)
        page_params = [f.zip_codes, *page_params, f.limit + 1]
    columns = sql.SQL(", ").join(sql.Identifier("l", c) for c in LISTING_COLUMNS)
    page_query = sql.SQL(
        """
        with page as ({matches})
        select {columns}, l.sort_key,
            a.attestation_count, a.attesting_miners_count, a.latest_submission_at,
            a.attesting_miners
        from page as l
        cross join lateral (
            select
                count(*) as attestation_count,
                count(distinct miner_hotkey) as attesting_miners_count,
                max(submission_timestamp) as latest_submission_at,
                array_agg(distinct miner_hotkey) as attesting_miners
            from marts.miner_attestations
            where miner_attestations.zpid = l.zpid
        ) as a
        order by l.sort_key {direction}, l.zpid {direction}
        """
    ).format(matches=matches, columns=columns, direction=direction)
    return page_query, page_params, count_query, count_params


def search(conn: psycopg.Connection, filters: SearchFilters) -> dict[str, Any]:
    """One page of listings: {'total', 'count', 'listings', 'next_cursor'}."""
    f = filters.validate()
    page_query, page_params, count_query, count_params = search_sql(f)
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(page_query, page_params).fetchall()
        total_row = cur.execute(count_query, count_params).fetchone()
    total = int(total_row["count"]) if total_row else 0
    has_more = len(rows) > f.limit
    rows = rows[: f.limit]
    next_cursor = None
    if has_more and rows:
        last = rows[-1]
        next_cursor = _encode_cursor(f.sort, f.order, last["sort_key"], last["zpid"])
    for row in rows:
        del row["sort_key"]
        row["attesting_miners"] = sorted(row["attesting_miners"] or [])
    return {"total": total, "count": len(rows), "listings": rows, "next_cursor": next_cursor}


def search_all(conn: psycopg.Connection, filters: SearchFilters, limit: int) -> dict[str, Any]:
    """Up to `limit` listings over as many pages as needed (for the CLI)."""
    f = filters.validate()
    f.limit = min(limit, MAX_LIMIT)
    listings: list[dict[str, Any]] = []
    result = search(conn, f)
    listings += result["listings"]
    while result["next_cursor"] and len(listings) < limit:
        f.cursor = result["next_cursor"]
        f.limit = min(limit - len(listings), MAX_LIMIT)
        result = search(conn, f)
        listings += result["listings"]
    return {"total": result["total"], "count": len(listings), "listings": listings}


# --- one listing -----------------------------------------------------------------------


def get_listing(conn: psycopg.Connection, zpid: str) -> dict[str, Any]:
    """The unified values, each field's consensus value and rivals, and the attestations."""
    with conn.cursor(row_factory=dict_row) as cur:
        listing = cur.execute(
            "select * from marts.unified_listings where zpid = %s", [zpid]
        ).fetchone()
        if listing is None:
            raise NotFound(f"no listing with zpid {zpid}")
        votes = cur.execute(
            """
            select field_name, field_value, is_consensus, miner_count, submission_count,
                confidence_score, first_reported_at, last_reported_at
            from marts.listing_consensus
            where zpid = %s
            order by field_name, is_consensus desc, miner_count desc, submission_count desc,
                field_value
            """,
            [zpid],
        ).fetchall()
        attestations = cur.execute(
            """
            select attestation_id, miner_hotkey, miner_uid, submission_timestamp,
                claimed_submission_timestamp, job_id, parquet_file_path, data_hash,
                is_duplicate, is_validated, validation_score
            from marts.miner_attestations
            where zpid = %s
            order by submission_timestamp desc, miner_hotkey
            """,
            [zpid],
        ).fetchall()
    fields: dict[str, dict[str, Any]] = {}
    for vote in votes:
        name = vote.pop("field_name")
        entry = fields.setdefault(name, {"consensus": None, "rivals": []})
        if vote.pop("is_consensus"):
            entry["consensus"] = vote
        else:
            entry["rivals"].append(vote)
    return {
        "listing": listing,
        "fields": fields,
        "attestation_count": len(attestations),
        "attestations": attestations,
    }


def relation_exists(conn: psycopg.Connection, name: str) -> bool:
    row = conn.execute("select to_regclass(%s) is not null", [name]).fetchone()
    return bool(row and row[0])


HISTORY_RELATION = "marts.listing_history"


def listing_history(
    conn: psycopg.Connection, zpid: str, as_of: datetime | None = None
) -> list[dict[str, Any]]:
    """Each field's values over time (marts.listing_history), or the values valid at
    `as_of`. Raises NotBuilt when the history mart does not exist."""
    if not relation_exists(conn, HISTORY_RELATION):
        raise NotBuilt(f"{HISTORY_RELATION} does not exist (listing history is not built)")
    query = "select * from marts.listing_history where zpid = %s"
    params: list[Any] = [zpid]
    if as_of is not None:
        if as_of.tzinfo is None:
            as_of = as_of.replace(tzinfo=UTC)
        query += " and valid_from <= %s and (valid_to is null or valid_to > %s)"
        params += [as_of, as_of]
    query += " order by field_name, valid_from"
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()


# --- miners, alerts, network -----------------------------------------------------------

MINER_SORTS = {
    "agreement": "agreement_ratio desc nulls last, field_votes desc, miner_hotkey",
    "reports": "reports_count desc, miner_hotkey",
    "hotkey": "miner_hotkey",
}


def miners(conn: psycopg.Connection, sort: str = "agreement") -> list[dict[str, Any]]:
    """The miner leaderboard (marts.miner_performance)."""
    if sort not in MINER_SORTS:
        raise InvalidParameter("sort", f"one of {', '.join(MINER_SORTS)}")
    query = sql.SQL("select * from marts.miner_performance order by {}").format(
        sql.SQL(MINER_SORTS[sort])
    )
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query).fetchall()


def miner(conn: psycopg.Connection, hotkey: str) -> dict[str, Any]:
    """One miner: its performance, its files (from its attestations) and its alerts."""
    with conn.cursor(row_factory=dict_row) as cur:
        perf = cur.execute(
            "select * from marts.miner_performance where miner_hotkey = %s", [hotkey]
        ).fetchone()
        if perf is None:
            raise NotFound(f"no miner with hotkey {hotkey}")
        files = cur.execute(
            """
            select parquet_file_path, job_id, min(submission_timestamp) as submitted_at,
                min(claimed_submission_timestamp) as claimed_submitted_at,
                count(*) as reports, count(*) filter (where is_duplicate) as duplicate_reports,
                count(*) filter (where not is_validated) as invalid_reports
            from marts.miner_attestations
            where miner_hotkey = %s
            group by parquet_file_path, job_id
            order by submitted_at desc, parquet_file_path
            """,
            [hotkey],
        ).fetchall()
    return {"miner": perf, "files": files, "alerts": alerts(conn, subject=hotkey)}


def alerts(conn: psycopg.Connection, subject: str | None = None) -> list[dict[str, Any]]:
    """Open alerts (marts.quality_alerts), errors first; those about `subject` if given
    (a miner's alerts name its hotkey in the subject)."""
    query = "select * from marts.quality_alerts"
    params: list[Any] = []
    if subject is not None:
        query += " where subject = %s or subject like %s"
        params = [subject, f"%{subject}%"]
    query += " order by case severity when 'error' then 0 else 1 end, kind, subject"
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()


def network_quality(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """The daily network metrics (marts.network_quality_daily), oldest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("select * from marts.network_quality_daily order by date_day").fetchall()


def coverage_by_zip(conn: psycopg.Connection) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("select * from marts.coverage_by_zip order by zip_code").fetchall()


def coverage_by_state(conn: psycopg.Connection) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("select * from marts.coverage_by_state order by state").fetchall()


def listing_points(conn: psycopg.Connection, limit: int = 20000) -> list[dict[str, Any]]:
    """Listings with coordinates, for a map (a sample of `limit` at most)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """
            select zpid, latitude::float8 as latitude, longitude::float8 as longitude,
                consensus_score::float8 as consensus_score, price, home_status, zip_code, state
            from marts.unified_listings
            where latitude is not null and longitude is not null
            order by zpid
            limit %s
            """,
            [limit],
        ).fetchall()


def consensus_distribution(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Listings per consensus score band of 0.01 (1.0 is its own band)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            """
            select (floor(consensus_score * 100) / 100)::float8 as band,
                count(*) as listings
            from marts.unified_listings
            where consensus_score is not null
            group by 1
            order by 1
            """
        ).fetchall()


def health(conn: psycopg.Connection) -> dict[str, Any]:
    """Database reachable, the newest data and the newest build, from the marts alone
    (the reader role cannot read raw): the newest report's server time, and when dbt last
    analyzed int_unified_listings, the table behind the unified_listings view (its
    post-hook does so when the table is built)."""
    row = conn.execute(
        """
        select
            (select max(last_updated_at) from marts.unified_listings),
            (select greatest(last_analyze, last_autoanalyze) from pg_stat_user_tables
             where schemaname = 'intermediate' and relname = 'int_unified_listings'),
            (select count(*) from marts.unified_listings)
        """
    ).fetchone()
    newest_report, newest_build, listings = row if row else (None, None, 0)
    return {
        "database": "ok",
        "listings": listings,
        "newest_report_at": newest_report,
        "newest_build_at": newest_build,
    }


def jsonable(value: Any) -> Any:
    """Decimals to floats, datetimes to ISO text, UUIDs to text, recursively."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
