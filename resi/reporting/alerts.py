"""`resi alerts`: the open quality alerts (marts.quality_alerts), for people and schedulers.

Exit codes: 0 when nothing at or above the `--fail-on` level is open (always 0 without
`--fail-on`), 1 when something is, 2 when the alerts cannot be read (marts not built).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg

from resi.database import connection as database

ALERTS_RELATION = "marts.quality_alerts"
COLUMNS = ("severity", "kind", "subject", "figure", "threshold", "first_seen_at", "details")
_SEVERITY_ORDER = {"error": 0, "warn": 1}
_FAIL_LEVELS = {"error": {"error"}, "warn": {"error", "warn"}}


class AlertsNotBuilt(RuntimeError):
    """marts.quality_alerts does not exist yet."""


def fetch_alerts(conn: psycopg.Connection) -> list[dict[str, Any]]:
    """Every open alert, errors first, then by kind and subject."""
    row = conn.execute("select to_regclass(%s) is not null", [ALERTS_RELATION]).fetchone()
    if not (row and row[0]):
        raise AlertsNotBuilt(ALERTS_RELATION)
    cur = conn.execute(
        f"select alert_id, {', '.join(COLUMNS)} from {ALERTS_RELATION}"
        " order by case severity when 'error' then 0 else 1 end, kind, subject"
    )
    names = [d.name for d in cur.description or []]
    return [dict(zip(names, values, strict=True)) for values in cur.fetchall()]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _cell(value: Any, width: int | None = None) -> str:
    if value is None:
        text = ""
    elif isinstance(value, Decimal):
        text = f"{value.normalize():f}"
    elif isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M")
    else:
        text = str(value)
    if width and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def format_table(alerts: list[dict[str, Any]]) -> str:
    """A plain-text table: one line per alert."""
    widths = {"subject": 48, "details": 90}
    rows = [[_cell(a[c], widths.get(c)) for c in COLUMNS] for a in alerts]
    header = [c.replace("_", " ") for c in COLUMNS]
    sizes = [max(len(x) for x in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(h.ljust(s) for h, s in zip(header, sizes, strict=True)).rstrip()]
    lines.append("  ".join("-" * s for s in sizes))
    lines += ["  ".join(v.ljust(s) for v, s in zip(r, sizes, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def counts_by_severity(alerts: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"error": 0, "warn": 0}
    for alert in alerts:
        counts[alert["severity"]] = counts.get(alert["severity"], 0) + 1
    return counts


def exit_code(alerts: list[dict[str, Any]], fail_on: str | None) -> int:
    if fail_on is None:
        return 0
    return 1 if any(a["severity"] in _FAIL_LEVELS[fail_on] for a in alerts) else 0


def main(args: argparse.Namespace) -> int:
    database.use_database()
    try:
        with database.connect() as conn:
            alerts = fetch_alerts(conn)
    except AlertsNotBuilt:
        print(
            f"resi alerts: {ALERTS_RELATION} does not exist yet: build the marts first "
            "(`resi dbt build`, or `make demo`)",
            file=sys.stderr,
        )
        return 2
    counts = counts_by_severity(alerts)
    if args.json:
        payload = {
            "open_alerts": len(alerts),
            "by_severity": counts,
            "alerts": [{k: _jsonable(v) for k, v in a.items()} for a in alerts],
        }
        print(json.dumps(payload, indent=2))
    elif not alerts:
        print("no open alerts")
    else:
        print(format_table(alerts))
        print(f"\n{len(alerts)} open alerts: {counts['error']} error, {counts['warn']} warn")
    return exit_code(alerts, args.fail_on)
