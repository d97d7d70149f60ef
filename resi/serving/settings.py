"""Who the serving side connects as, and with which token: one place for the environment.

- RESI_READER_ROLE (default `resi_reader`): the read-only role `resi db roles` creates;
  the API and the dashboards connect as it. Its password, for servers that want one, comes
  from RESI_READER_PASSWORD (never printed).
- RESI_API_TOKEN: when set, every API request but /health needs `Authorization: Bearer <it>`.
"""

from __future__ import annotations

import os

from resi.database import connection as database

READER_ROLE_DEFAULT = "resi_reader"


def reader_role() -> str:
    return os.environ.get("RESI_READER_ROLE") or READER_ROLE_DEFAULT


def reader_conninfo(role: str | None = None) -> dict[str, str]:
    """libpq keywords for the database in use, as the reader role."""
    env = database.libpq_env()
    info = {
        "host": env["PGHOST"],
        "port": env["PGPORT"],
        "dbname": env["PGDATABASE"],
        "user": role or reader_role(),
        "application_name": "resi-serving",
    }
    password = os.environ.get("RESI_READER_PASSWORD")
    if password:
        info["password"] = password
    return info


def api_token() -> str | None:
    return os.environ.get("RESI_API_TOKEN") or None
