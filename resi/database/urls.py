"""Connection URIs for the libpq variables, for people and tools that want one string."""

from __future__ import annotations

from urllib.parse import quote, urlencode


def libpq_url(env: dict[str, str], show_password: bool = False) -> str:
    """A libpq connection URI for `env`, every part percent-encoded. A socket directory
    goes in the query (`postgresql://user@/db?host=%2Fdir&port=5432`). The password is
    masked as *** unless `show_password`."""
    user = quote(env["PGUSER"], safe="")
    password = env.get("PGPASSWORD")
    if password:
        user += ":" + (quote(password, safe="") if show_password else "***")
    dbname = quote(env["PGDATABASE"], safe="")
    host, port = env["PGHOST"], env.get("PGPORT") or "5432"
    if host.startswith("/"):
        query = urlencode({"host": host, "port": port}, quote_via=quote, safe="")
        return f"postgresql://{user}@/{dbname}?{query}"
    netloc = f"[{host}]" if ":" in host else quote(host, safe="")
    return f"postgresql://{user}@{netloc}:{port}/{dbname}"
