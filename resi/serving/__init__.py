"""Serving: the query module, the read-only HTTP API, `resi search` and the dashboards."""
