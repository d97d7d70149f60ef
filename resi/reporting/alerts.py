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
from rich import box
from rich.table import Table
from rich.text import Text

from resi.database import connection as database
from resi.reporting.text import render_text, width_for_stdout

ALERTS_RELATION = "marts.quality_alerts"
COLUMNS = ("severity", "kind", "subject", "figure", "threshold", "first_seen_at", "details")
TABLE_WIDTH = 100  # columns the table may take, at most
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


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def alerts_table(alerts: list[dict[str, Any]]) -> Table:
    """A rich table, one entry per alert: severity; kind and subject over the details
    (wrapped); figure and threshold over the day it was first seen."""
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)
    table.add_column("severity", no_wrap=True)
    table.add_column("alert: kind, subject / details", overflow="fold", ratio=1)
    table.add_column("figure (limit)\nsince", justify="right", no_wrap=True)
    for alert in alerts:
        what = Text(f"{alert['kind']}  {alert['subject']}", style="bold")
        what.append("\n" + _cell(alert["details"]), style="dim")
        severity = Text(alert["severity"], style="red" if alert["severity"] == "error" else "")
        table.add_row(
            severity,
            what,
            f"{_cell(alert['figure'])} ({_cell(alert['threshold'])})\n"
            + _cell(alert["first_seen_at"])[:10],
        )
    return table


def format_table(alerts: list[dict[str, Any]], width: int = TABLE_WIDTH) -> str:
    """The alerts table as plain text, at most `width` columns wide."""
    lines = render_text(alerts_table(alerts), width=width).splitlines()
    return "\n".join(line for line in lines if line)


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
        print(format_table(alerts, width_for_stdout(TABLE_WIDTH)))
        print(f"\n{len(alerts)} open alerts: {counts['error']} error, {counts['warn']} warn")
    return exit_code(alerts, args.fail_on)
