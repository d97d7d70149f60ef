"""The read-only HTTP API (FastAPI): the query module over HTTP, as the reader role.

Every answer is JSON. Bad input is a 422 naming the parameter; an unknown zpid or hotkey a
404; an unreachable database or unbuilt marts a 503. OpenAPI docs at /docs and /redoc are
served from the package (fastapi-offline), so they work without a network.
"""

import hmac
from collections.abc import Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

import psycopg
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from psycopg_pool import ConnectionPool, PoolTimeout

from resi import __version__
from resi.serving import queries


def _json(payload: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(queries.jsonable(payload), status_code=status_code)


def _error(status_code: int, message: str, parameter: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": message}
    if parameter is not None:
        body["parameter"] = parameter
    return JSONResponse(body, status_code=status_code)


def create_app(conninfo: dict[str, str], token: str | None = None, pool_size: int = 8) -> FastAPI:  # noqa: C901 (one nested handler per endpoint)
    """The app, with a connection pool to `conninfo` (libpq keywords) opened at start-up."""
    pool = ConnectionPool(
        kwargs={**conninfo, "autocommit": True},
        min_size=1,
        max_size=pool_size,
        open=False,
        check=ConnectionPool.check_connection,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        pool.open(wait=False)
        try:
            yield
        finally:
            pool.close()

    app = FastAPIOffline(
        title="resi-unified API",
        version=__version__,
        description="Read-only access to the unified, consensus-scored listings and the "
        "network's quality marts.",
        lifespan=lifespan,
    )

    def connection() -> Iterator[psycopg.Connection]:
        with pool.connection(timeout=10) as conn:
            yield conn

    Conn = Annotated[psycopg.Connection, Depends(connection)]

    @app.middleware("http")
    async def bearer_token(request: Request, call_next):
        if token and request.url.path != "/health":
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return _error(401, "missing or wrong bearer token")
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(part) for part in first.get("loc", ()) if part not in ("query", "path")]
        return _error(422, first.get("msg", "invalid input"), loc[0] if loc else None)

    @app.exception_handler(queries.InvalidParameter)
    async def invalid_parameter(_request: Request, exc: queries.InvalidParameter) -> JSONResponse:
        return _error(422, exc.message, exc.parameter)

    @app.exception_handler(queries.NotFound)
    async def not_found(_request: Request, exc: queries.NotFound) -> JSONResponse:
        return _error(404, str(exc))

    @app.exception_handler(queries.NotBuilt)
    async def not_built_yet(_request: Request, exc: queries.NotBuilt) -> JSONResponse:
        return _error(501, str(exc))

    @app.exception_handler(psycopg.errors.UndefinedTable)
    async def not_built(_request: Request, exc: Exception) -> JSONResponse:
        return _error(503, f"the marts are not built yet (`resi dbt build`): {exc}".strip())

    @app.exception_handler(psycopg.OperationalError)
    async def unreachable(_request: Request, exc: Exception) -> JSONResponse:
        return _error(503, f"database unreachable: {exc}".strip())

    @app.exception_handler(PoolTimeout)
    async def pool_timeout(_request: Request, _exc: Exception) -> JSONResponse:
        return _error(503, "database unreachable (no connection within 10 s)")

    @app.get("/health", summary="Database reachable, newest data, newest build")
    def health() -> JSONResponse:
        try:
            with pool.connection(timeout=5) as conn:
                return _json(queries.health(conn))
        except psycopg.errors.UndefinedTable:
            return _error(503, "the marts are not built yet (`resi dbt build`)")

    @app.get("/listings", summary="Search the unified listings (keyset pages, total count)")
    def listings(
        conn: Conn,
        status: Annotated[list[str] | None, Query(description="home status; repeat or a,b")] = None,
        min_price: int | None = None,
        max_price: int | None = None,
        zip: Annotated[list[str] | None, Query(description="5-digit zip; repeat or a,b")] = None,
        city: str | None = None,
        state: Annotated[str | None, Query(description="2-letter state code")] = None,
        bbox: Annotated[str | None, Query(description="south,west,north,east")] = None,
        near: Annotated[str | None, Query(description="lat,lon (with radius_km)")] = None,
        radius_km: float | None = None,
        min_consensus: Annotated[float | None, Query(description="0 to 1")] = None,
        min_miners: Annotated[int | None, Query(description="independent miners")] = None,
        updated_since: datetime | None = None,
        sort: Annotated[str, Query(description="updated, price or consensus")] = "updated",
        order: Annotated[str, Query(description="desc or asc")] = "desc",
        limit: Annotated[int, Query(description=f"1 to {queries.MAX_LIMIT}")] = (
            queries.DEFAULT_LIMIT
        ),
        cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    ) -> JSONResponse:
        filters = queries.SearchFilters(
            statuses=queries.parse_csv(status),
            min_price=min_price,
            max_price=max_price,
            zip_codes=queries.parse_csv(zip),
            city=city,
            state=state,
            bbox=queries.parse_floats("bbox", bbox, 4) if bbox else None,  # type: ignore[arg-type]
            near=queries.parse_floats("near", near, 2) if near else None,  # type: ignore[arg-type]
            radius_km=radius_km,
            min_consensus=min_consensus,
            min_miners=min_miners,
            updated_since=updated_since,
            sort=sort,
            order=order,
            limit=limit,
            cursor=cursor,
        )
        return _json(queries.search(conn, filters))

    @app.get("/listings/{zpid}", summary="A listing: values, consensus and rivals, attestations")
    def listing(conn: Conn, zpid: str) -> JSONResponse:
        return _json(queries.get_listing(conn, zpid))

    @app.get("/listings/{zpid}/history", summary="A listing's field values over time")
    def listing_history(conn: Conn, zpid: str, as_of: datetime | None = None) -> JSONResponse:
        rows = queries.listing_history(conn, zpid, as_of)
        if not rows:
            raise queries.NotFound(f"no history for zpid {zpid}")
        return _json({"zpid": zpid, "as_of": as_of, "history": rows})

    @app.get("/miners", summary="The miner leaderboard")
    def miners(conn: Conn, sort: str = "agreement") -> JSONResponse:
        rows = queries.miners(conn, sort)
        return _json({"count": len(rows), "miners": rows})

    @app.get("/miners/{hotkey}", summary="A miner: performance, files, alerts")
    def miner(conn: Conn, hotkey: str) -> JSONResponse:
        return _json(queries.miner(conn, hotkey))

    @app.get("/alerts", summary="The open quality alerts")
    def alerts(conn: Conn) -> JSONResponse:
        rows = queries.alerts(conn)
        return _json({"count": len(rows), "alerts": rows})

    @app.get("/network/quality", summary="The daily network quality metrics")
    def network_quality(conn: Conn) -> JSONResponse:
        rows = queries.network_quality(conn)
        return _json({"count": len(rows), "days": rows})

    return app
