"""The dashboards' data: the query module's answers as DataFrames, read as the reader
role through one small pool, cached for a minute."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st
from psycopg_pool import ConnectionPool

from resi.serving import queries, settings

TTL_SECONDS = 60


@st.cache_resource
def _pool() -> ConnectionPool:
    conninfo = {**settings.reader_conninfo(), "autocommit": True}
    conninfo["application_name"] = "resi-dashboard"
    pool = ConnectionPool(kwargs=conninfo, min_size=1, max_size=4, open=False)
    pool.open(wait=True, timeout=30)
    return pool


def _run(fn: Callable[..., Any], *args: Any) -> Any:
    with _pool().connection(timeout=10) as conn:
        return fn(conn, *args)


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Rows to a DataFrame with plain numbers and times (Decimals as floats)."""
    return pd.DataFrame(queries.jsonable(rows)) if rows else pd.DataFrame()


@st.cache_data(ttl=TTL_SECONDS)
def network_quality() -> pd.DataFrame:
    df = frame(_run(queries.network_quality))
    if not df.empty:
        df["date_day"] = pd.to_datetime(df["date_day"])
    return df


@st.cache_data(ttl=TTL_SECONDS)
def consensus_distribution() -> pd.DataFrame:
    return frame(_run(queries.consensus_distribution))


@st.cache_data(ttl=TTL_SECONDS)
def health() -> dict[str, Any]:
    return queries.jsonable(_run(queries.health))


@st.cache_data(ttl=TTL_SECONDS)
def miners() -> pd.DataFrame:
    return frame(_run(queries.miners, "agreement"))


@st.cache_data(ttl=TTL_SECONDS)
def miner(hotkey: str) -> dict[str, Any]:
    result = _run(queries.miner, hotkey)
    return {
        "miner": queries.jsonable(result["miner"]),
        "files": frame(result["files"]),
        "alerts": frame(result["alerts"]),
    }


@st.cache_data(ttl=TTL_SECONDS)
def alerts() -> pd.DataFrame:
    return frame(_run(queries.alerts))


@st.cache_data(ttl=TTL_SECONDS)
def listing_points() -> pd.DataFrame:
    return frame(_run(queries.listing_points))


@st.cache_data(ttl=TTL_SECONDS)
def coverage_by_zip() -> pd.DataFrame:
    return frame(_run(queries.coverage_by_zip))


@st.cache_data(ttl=TTL_SECONDS)
def coverage_by_state() -> pd.DataFrame:
    return frame(_run(queries.coverage_by_state))


def not_built_message(exc: Exception) -> str:
    return f"The marts cannot be read yet (`resi dbt build`, `resi db roles`): {exc}"
