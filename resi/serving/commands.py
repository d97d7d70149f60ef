"""The serving commands' registration: `resi serve api|dashboard` and `resi search`.
cli.py calls `register(sub)`; the code lives in this package."""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
from pathlib import Path

from resi.serving import settings

LOOPBACK = ("localhost",)


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _reader_check(conninfo: dict[str, str]) -> str | None:
    """None when the reader role can connect and read the marts; else the reason."""
    import psycopg

    try:
        with psycopg.connect(**conninfo, connect_timeout=5) as conn:
            conn.execute("select 1 from marts.unified_listings limit 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


def _serve(args: argparse.Namespace) -> int:
    token = settings.api_token()
    if args.what == "api" and not _is_loopback(args.host) and not token and not args.no_token:
        print(
            f"resi serve: refusing to serve on {args.host} without a token: set RESI_API_TOKEN"
            " (or pass --no-token to serve it openly)",
            file=sys.stderr,
        )
        return 2
    conninfo = settings.reader_conninfo()
    problem = _reader_check(conninfo)
    if problem:
        print(
            f"resi serve: cannot read the marts as {conninfo['user']}: {problem}\n"
            "  create the roles with `resi db roles` and build the marts (`resi dbt build`)",
            file=sys.stderr,
        )
        return 2
    if args.what == "api":
        import uvicorn

        from resi.serving.api import create_app

        port = args.port or 8000
        print(f"API on http://{args.host}:{port}  (docs: http://{args.host}:{port}/docs)")
        uvicorn.run(create_app(conninfo, token), host=args.host, port=port, log_level="warning")
        return 0
    port = args.port or 8501
    app = Path(__file__).with_name("dashboard") / "app.py"
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.address", args.host,
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "viewer",
        "--global.developmentMode", "false",
    ]  # fmt: skip
    print(f"dashboards on http://{args.host}:{port}", flush=True)
    # become streamlit, so a signal to this process (Ctrl-C, SIGTERM) reaches it
    os.execv(sys.executable, cmd)


def _search(args: argparse.Namespace) -> int:
    from resi.serving import search_cli

    return search_cli.main(args)


def register(sub: argparse._SubParsersAction) -> None:
    serve = sub.add_parser("serve", help="serve the read-only API or the dashboards")
    serve.add_argument("what", choices=["api", "dashboard"], help="the API or the dashboards")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, help="default 8000 (api), 8501 (dashboard)")
    serve.add_argument(
        "--no-token", action="store_true", help="serve beyond localhost without RESI_API_TOKEN"
    )
    serve.set_defaults(func=_serve)

    from resi.serving import search_cli

    search = sub.add_parser("search", help="search the unified listings (as GET /listings)")
    search_cli.add_arguments(search)
    search.set_defaults(func=_search)
